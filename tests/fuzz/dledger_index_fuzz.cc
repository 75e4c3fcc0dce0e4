// libFuzzer target: the DLedger index unit decoder (broker/store/dledger_index.h) over a run of units, as
// recovery reads an index file. Checks: no crash or read outside the input; each 32-byte unit re-encodes to
// exactly its bytes; a short tail is refused with std::invalid_argument, not read past.
#include <cstddef>
#include <cstdint>

#include "broker/store/dledger_index.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const common::Bytes input = fuzz::exact_copy(fuzz::as_span(data, size));
  common::ByteSpan rest(input);
  while (!rest.empty()) {
    if (rest.size() < store::kDLedgerIndexUnitBytes) {
      const common::Bytes tail(rest.begin(), rest.end());
      bool refused = false;
      try {
        (void)store::decode_index_unit(tail);
      } catch (const std::invalid_argument&) {
        refused = true;
      }
      FUZZ_CHECK(refused);
      break;
    }
    const store::DLedgerIndexUnit unit = store::decode_index_unit(rest.first(store::kDLedgerIndexUnitBytes));
    common::Bytes encoded(store::kDLedgerIndexUnitBytes);
    store::encode_index_unit(unit, encoded);
    FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), rest.begin()));
    if (unit.index >= 0 && unit.index <= store::kDLedgerMaxEntryIndex) {
      FUZZ_CHECK(store::index_unit_offset(unit.index) >= 0);
    }
    rest = rest.subspan(store::kDLedgerIndexUnitBytes);
  }
  return 0;
}
