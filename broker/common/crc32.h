// CRC32 as java.util.zip.CRC32 computes it (CRC-32/IEEE, reflected, poly 0xEDB88320), which is zlib's crc32() and
// libdeflate's libdeflate_crc32() (used here: hardware-accelerated folding, identical results).
// RocketMQ stores the body CRC masked with 0x7FFFFFFF (storage.md 1.6); masked_crc32 is that value.
#pragma once

#include <cstdint>

#include "broker/common/bytes.h"

namespace rmq::common {

std::uint32_t crc32(ByteSpan data);
// The commitlog BODYCRC: crc32 with the top bit cleared; an empty body gives 0.
inline std::int32_t masked_crc32(ByteSpan data) {
  return data.empty() ? 0 : static_cast<std::int32_t>(crc32(data) & 0x7FFFFFFFu);
}

}  // namespace rmq::common
