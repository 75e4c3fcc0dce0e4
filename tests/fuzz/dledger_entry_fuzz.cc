// libFuzzer target: the DLedger entry decoder (broker/store/dledger_entry.h) and the raft <-> DLedger entry
// mapping built on it (broker/dledger/entry_codec.h). Input: 8 bytes of absolute position, then the bytes of
// one stored entry. Checks: no crash or read outside the entry; a header that has no problem at that position
// and an entry that decodes re-encode to exactly the input bytes; the header read alone equals the decoded
// entry's header; an entry maps to a raft entry and back to the same DLedger entry.
#include <cstddef>
#include <cstdint>

#include "broker/common/bytes.h"
#include "broker/dledger/entry_codec.h"
#include "broker/store/dledger_entry.h"
#include "broker/store/dledger_index.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  const std::int64_t at_pos = static_cast<std::int64_t>(common::load_u64_be(data));
  const common::Bytes input = fuzz::exact_copy(fuzz::as_span(data + 8, size - 8));

  if (input.size() >= store::kDLedgerHeaderBytes) {
    const store::DLedgerEntryHeader header = store::decode_entry_header(input);
    common::Bytes header_bytes(store::kDLedgerHeaderBytes);
    store::encode_entry_header(header, header_bytes);
    FUZZ_CHECK(std::equal(header_bytes.begin(), header_bytes.end(), input.begin()));
    (void)store::entry_header_problem(header, at_pos);
    (void)store::index_unit_for(header);
  }

  store::DLedgerEntry entry;
  try {
    entry = store::decode_entry(input);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  FUZZ_CHECK(entry.size_bytes() == input.size());
  FUZZ_CHECK(entry.header() == store::decode_entry_header(input));
  common::Bytes encoded;
  store::encode_entry(entry, encoded);
  FUZZ_CHECK(encoded == input);

  // The raft view of a stored entry, and back (a node that becomes leader re-sends its stored entries).
  const raft::Entry raft_entry = dledger::to_raft_entry(entry);
  FUZZ_CHECK(raft_entry.index == static_cast<raft::Index>(entry.index) + 1);
  FUZZ_CHECK(raft_entry.term == static_cast<raft::Term>(entry.term));
  if (raft_entry.type == raft::EntryType::kNormal) {
    FUZZ_CHECK(dledger::entry_data_pos(raft_entry.data) == entry.pos);
    const store::DLedgerEntry again = dledger::to_store_entry(raft_entry, entry.pos, INT64_MAX);
    FUZZ_CHECK(again.body == entry.body);
    FUZZ_CHECK(again.pos == entry.pos);
  }
  return 0;
}
