// libFuzzer target: the commitlog record decoder (broker/store/message_record.h), as a recovery scan and
// check-commitlog use it, plus the consume-queue entry and the DLedger no-op body recognizer, which read the
// same bytes. Checks: no crash or read outside the span (an exact-size copy under ASan); a record that
// decodes as kOk has a TOTALSIZE within the span and encodes back to exactly its bytes; the fast path
// (out = null) agrees with the full decode; with CRC checking on, kOk implies the same without.
#include <cstddef>
#include <cstdint>

#include "broker/store/consume_queue_entry.h"
#include "broker/store/dledger_noop.h"
#include "broker/store/message_record.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const common::Bytes input = fuzz::exact_copy(fuzz::as_span(data, size));

  store::MessageRecord record;
  const store::DecodeResult full = store::decode_record(input, false, &record);
  const store::DecodeResult fast = store::decode_record(input, false, nullptr);
  FUZZ_CHECK(full.status == fast.status);
  FUZZ_CHECK(full.size == fast.size);
  const store::DecodeResult crc = store::decode_record(input, true, nullptr);
  if (crc.status == store::DecodeStatus::kOk) FUZZ_CHECK(full.status == store::DecodeStatus::kOk);

  if (full.status == store::DecodeStatus::kOk) {
    FUZZ_CHECK(full.size > 0 && static_cast<std::size_t>(full.size) <= input.size());
    FUZZ_CHECK(store::encoded_size(record) == static_cast<std::size_t>(full.size));
    common::Bytes encoded;
    store::encode(record, encoded);
    FUZZ_CHECK(encoded.size() == static_cast<std::size_t>(full.size));
    FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), input.begin()));
    (void)store::message_id(record.store_host, record.physical_offset);
  }

  if (auto term = store::decode_noop_term(input)) {
    FUZZ_CHECK(store::encode_noop_body_unpositioned(*term).size() == input.size());
  }
  if (auto entry = store::decode_consume_queue_entry(input)) {
    common::Bytes encoded;
    store::encode_consume_queue_entry(*entry, encoded);
    FUZZ_CHECK(encoded.size() <= input.size());
    FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), input.begin()));
  }
  return 0;
}
