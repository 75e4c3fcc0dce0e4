#include "broker/store/batch_items.h"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>

namespace rmq::store {
namespace {

constexpr std::size_t kMaxItemPropertiesBytes = 32767;  // a signed Java short

BatchDecodeResult item_error(BatchDecodeResult result, std::size_t index, std::size_t offset,
                             const std::string& what) {
  result.ok = false;
  result.error = fmt::format("item {} at offset {}: {}", index, offset, what);
  return result;
}

}  // namespace

void encode_batch_items(const std::vector<BatchItem>& items, common::Bytes& out) {
  for (const BatchItem& item : items) {
    if (item.properties.size() > kMaxItemPropertiesBytes) {
      throw std::invalid_argument(fmt::format("batch item properties of {} bytes exceed the int16 length",
                                              item.properties.size()));
    }
    const std::size_t total = kBatchItemFixedSize + item.body.size() + item.properties.size();
    if (total > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      throw std::invalid_argument(fmt::format("batch item of {} bytes does not fit TOTALSIZE", total));
    }
    common::ByteWriter w(out);
    w.i32(static_cast<std::int32_t>(total));
    w.i32(0);  // MAGICCODE: clients write 0
    w.i32(0);  // BODYCRC: the broker computes it
    w.i32(item.flag);
    w.i32(static_cast<std::int32_t>(item.body.size()));
    w.bytes(common::ByteSpan(item.body));
    w.i16(static_cast<std::int16_t>(item.properties.size()));
    w.bytes(std::string_view(item.properties));
  }
}

BatchDecodeResult decode_batch_items(common::ByteSpan body) {
  BatchDecodeResult result;
  std::size_t offset = 0;
  for (std::size_t index = 0; offset < body.size(); ++index) {
    const std::size_t left = body.size() - offset;
    if (left < kBatchItemFixedSize) {
      return item_error(std::move(result), index, offset,
                        fmt::format("{} bytes left, an item needs at least {}", left, kBatchItemFixedSize));
    }
    common::ByteReader r(body.subspan(offset));
    const std::int32_t total_size = r.i32();
    r.skip(4 + 4);  // MAGICCODE and BODYCRC carry nothing a broker uses
    BatchItem item;
    item.flag = r.i32();
    const std::int32_t body_length = r.i32();
    if (total_size < static_cast<std::int32_t>(kBatchItemFixedSize) || static_cast<std::size_t>(total_size) > left) {
      return item_error(std::move(result), index, offset,
                        fmt::format("TOTALSIZE {} is outside [{}, {} bytes left]", total_size, kBatchItemFixedSize,
                                    left));
    }
    if (body_length < 0) {
      return item_error(std::move(result), index, offset, fmt::format("BODYLENGTH {} is negative", body_length));
    }
    // The properties length field must still fit after the body.
    if (static_cast<std::size_t>(body_length) > r.remaining() - 2) {
      return item_error(std::move(result), index, offset,
                        fmt::format("BODYLENGTH {} runs past the {} bytes left", body_length, r.remaining()));
    }
    const common::ByteSpan item_body = r.bytes(static_cast<std::size_t>(body_length));
    item.body.assign(item_body.begin(), item_body.end());
    const std::int16_t properties_length = r.i16();
    if (properties_length < 0) {
      return item_error(std::move(result), index, offset,
                        fmt::format("PROPERTIESLENGTH {} is negative", properties_length));
    }
    if (static_cast<std::size_t>(properties_length) > r.remaining()) {
      return item_error(std::move(result), index, offset,
                        fmt::format("PROPERTIESLENGTH {} runs past the {} bytes left", properties_length,
                                    r.remaining()));
    }
    const common::ByteSpan properties = r.bytes(static_cast<std::size_t>(properties_length));
    item.properties.assign(properties.begin(), properties.end());
    if (r.position() != static_cast<std::size_t>(total_size)) {
      return item_error(std::move(result), index, offset,
                        fmt::format("TOTALSIZE {} != {} computed from the fields (body {}, properties {})",
                                    total_size, r.position(), body_length, properties_length));
    }
    offset += r.position();
    result.items.push_back(std::move(item));
  }
  result.ok = true;
  return result;
}

}  // namespace rmq::store
