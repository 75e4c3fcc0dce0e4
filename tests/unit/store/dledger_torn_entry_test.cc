// Recovery of a DLedger store whose last entry is torn, the store assembled by hand from storage.md (5.1 paths,
// 5.2 entry header, 1.2 commitlog record, 1.5 properties, 1.6 BODYCRC, 5.1 checkpoint text), not by our
// encoders. A torn entry keeps an intact DLedger header and reads as zeros from where the write stopped to its
// end (the fault suite's finding, issue 13: a follower's pwrite hit ENOSPC 9 bytes before the end of an entry).
// DLedger's own checks cannot see that; the commitlog record check (BODYCRC, TOTALSIZE, topic, properties) must,
// for every length of zero tail: above the committed index the entry is cut, at or below it the store refuses
// to open, naming the position (the broker exits 3 on DLedgerCorruption: dledger_store_stack.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "broker/store/dledger_body_check.h"
#include "broker/store/dledger_entry_store.h"
#include "broker/store/dledger_error.h"
#include "tests/unit/store/fault_fs.h"

namespace rmq::store {
namespace {

using testing::FaultFs;

constexpr std::int64_t kFileBytes = 64 * 1024;
const std::filesystem::path kDir = "/store/dledger-n0";
const std::filesystem::path kDataFile = "/store/dledger-n0/data/00000000000000000000";

void put_i8(std::vector<std::uint8_t>& out, std::uint8_t v) { out.push_back(v); }
void put_i16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_i32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_i64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_text(std::vector<std::uint8_t>& out, const std::string& s) { out.insert(out.end(), s.begin(), s.end()); }

// The check value of CRC-32/IEEE: crc32("123456789") = 0xCBF43926; BODYCRC keeps the low 31 bits (1.6).
const std::string kBody = "123456789";
constexpr std::uint32_t kBodyCrc = 0x4BF43926;

// One DLedger entry (5.2) whose body is a v1 commitlog record with IPv4 hosts (1.2), PHYSICALOFFSET = pos + 48.
std::vector<std::uint8_t> entry_bytes(std::int64_t index, std::int64_t pos) {
  const std::string topic = "TopicTest";
  const std::string properties = "UNIQ_KEY\x01" "ID" + std::to_string(1000 + index) + "\x02WAIT\x01true\x02";
  std::vector<std::uint8_t> record;
  const std::size_t total = 91 + kBody.size() + topic.size() + properties.size();
  put_i32(record, static_cast<std::uint32_t>(total));   // TOTALSIZE
  put_i32(record, 0xDAA320A7);                          // MAGICCODE v1
  put_i32(record, kBodyCrc);                            // BODYCRC
  put_i32(record, 0);                                   // QUEUEID
  put_i32(record, 0);                                   // FLAG
  put_i64(record, static_cast<std::uint64_t>(index));   // QUEUEOFFSET
  put_i64(record, static_cast<std::uint64_t>(pos + 48));  // PHYSICALOFFSET
  put_i32(record, 0);                                   // SYSFLAG
  put_i64(record, 1700000000000 + index);               // BORNTIMESTAMP
  put_i32(record, 0x7F000001);                          // BORNHOST 127.0.0.1
  put_i32(record, 5000);                                //   port
  put_i64(record, 1700000000100 + index);               // STORETIMESTAMP
  put_i32(record, 0x7F000001);                          // STOREHOSTADDRESS
  put_i32(record, 10911);                               //   port
  put_i32(record, 0);                                   // RECONSUMETIMES
  put_i64(record, 0);                                   // PREPAREDTRANSACTIONOFFSET
  put_i32(record, static_cast<std::uint32_t>(kBody.size()));  // BODYLENGTH
  put_text(record, kBody);
  put_i8(record, static_cast<std::uint8_t>(topic.size()));    // TOPICLENGTH (int8, v1)
  put_text(record, topic);
  put_i16(record, static_cast<std::uint16_t>(properties.size()));  // PROPERTIESLENGTH
  put_text(record, properties);
  EXPECT_EQ(record.size(), total);

  std::vector<std::uint8_t> entry;
  put_i32(entry, 1);                                            // magic
  put_i32(entry, static_cast<std::uint32_t>(48 + record.size()));  // size
  put_i64(entry, static_cast<std::uint64_t>(index));
  put_i64(entry, 3);                                            // term
  put_i64(entry, static_cast<std::uint64_t>(pos));
  put_i32(entry, 0);                                            // channel
  put_i32(entry, 0);                                            // chainCrc
  put_i32(entry, 0);                                            // bodyCrc
  put_i32(entry, static_cast<std::uint32_t>(record.size()));    // bodyLen
  entry.insert(entry.end(), record.begin(), record.end());
  return entry;
}

struct HandMadeStore {
  std::vector<std::int64_t> pos;  // of each entry
  std::int64_t end = 0;           // where the data ends
  std::size_t last_size = 0;
};

// Writes `n` entries into the first data file (no index files: recovery builds them) and a checkpoint.
HandMadeStore write_store(FaultFs& fs, int n, std::int64_t committed_index, std::size_t torn_tail_bytes) {
  HandMadeStore store;
  std::vector<std::uint8_t> file;
  for (int i = 0; i < n; ++i) {
    store.pos.push_back(static_cast<std::int64_t>(file.size()));
    const auto entry = entry_bytes(i, static_cast<std::int64_t>(file.size()));
    store.last_size = entry.size();
    file.insert(file.end(), entry.begin(), entry.end());
  }
  store.end = static_cast<std::int64_t>(file.size());
  // The tear: the last entry's final bytes never reached the disk; they read as zeros.
  std::fill(file.end() - static_cast<std::ptrdiff_t>(torn_tail_bytes), file.end(), std::uint8_t{0});
  file.resize(static_cast<std::size_t>(kFileBytes), 0);
  fs.create_dir("/store");
  fs.create_dir(kDir);
  fs.create_dir(kDir / "data");
  fs.open(kDataFile, common::OpenMode::kCreateTruncate)->write_at(0, file);
  const std::string checkpoint =
      "endIndex=" + std::to_string(n - 1) + "\ncommittedIndex=" + std::to_string(committed_index) + "\n";
  fs.open(kDir / "checkpoint", common::OpenMode::kCreateTruncate)
      ->write_at(0, common::ByteSpan(reinterpret_cast<const std::uint8_t*>(checkpoint.data()), checkpoint.size()));
  return store;
}

DLedgerStoreOptions options(bool check_crc) {
  DLedgerStoreOptions o;
  o.store_root = "/store";
  o.self_id = "n0";
  o.data_file_bytes = kFileBytes;
  o.index_file_bytes = 32 * 1024;
  o.body_check = commitlog_record_body_check(check_crc);
  return o;
}

TEST(DLedgerTornEntry, HandMadeEntriesRecoverWhole) {
  FaultFs fs;
  const HandMadeStore made = write_store(fs, 6, /*committed_index=*/5, /*torn_tail_bytes=*/0);
  auto store = DLedgerEntryStore::open(fs, options(true));
  EXPECT_EQ(store->end_index(), 5);
  EXPECT_EQ(store->committed_index(), 5);
  EXPECT_FALSE(store->recovery().stopped_on_invalid_entry) << store->recovery().stop_reason;
  EXPECT_EQ(store->write_pos(), made.end);
}

// The finding as observed: 9 zero bytes at the end of the entry (inside PROPERTIES, which BODYCRC does not
// cover), above the committed index: cut, and the next entry lands where the torn one began.
TEST(DLedgerTornEntry, NineZeroBytesAtTheEndAboveTheCommittedIndexAreCut) {
  for (const bool check_crc : {true, false}) {
    SCOPED_TRACE(check_crc ? "checkCRCOnRecover" : "no CRC check");
    FaultFs fs;
    const HandMadeStore made = write_store(fs, 6, /*committed_index=*/4, /*torn_tail_bytes=*/9);
    EXPECT_EQ(DLedgerEntryStore::open(fs, [] {
                auto o = options(true);
                o.body_check = {};
                return o;
              }())->end_index(),
              5)
        << "DLedger's own checks see nothing wrong; the test would not show the fix";
    auto store = DLedgerEntryStore::open(fs, options(check_crc));
    EXPECT_EQ(store->end_index(), 4);
    EXPECT_TRUE(store->recovery().stopped_on_invalid_entry);
    EXPECT_NE(store->recovery().stop_reason.find("entry at " + std::to_string(made.pos[5])), std::string::npos)
        << store->recovery().stop_reason;
    EXPECT_NE(store->recovery().stop_reason.find("PROPERTIES"), std::string::npos) << store->recovery().stop_reason;
    EXPECT_EQ(store->write_pos(), made.pos[5]);
    const common::Bytes file = fs.contents(kDataFile);
    EXPECT_TRUE(std::all_of(file.begin() + made.pos[5], file.end(), [](std::uint8_t b) { return b == 0; }));
    const DLedgerEntry next = store->append_as_leader(3, common::Bytes(64, 7));
    EXPECT_EQ(next.index, 5);
    EXPECT_EQ(next.pos, made.pos[5]);
  }
}

// The same tear at or below the committed index is damage, not a torn tail: refuse, naming file and position.
TEST(DLedgerTornEntry, NineZeroBytesAtTheEndOfACommittedEntryRefuseToOpen) {
  FaultFs fs;
  const HandMadeStore made = write_store(fs, 6, /*committed_index=*/5, /*torn_tail_bytes=*/9);
  try {
    DLedgerEntryStore::open(fs, options(true));
    FAIL() << "opened a store whose committed entry 5 is torn";
  } catch (const DLedgerCorruption& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(kDataFile.string()), std::string::npos) << what;
    EXPECT_NE(what.find("position " + std::to_string(made.pos[5])), std::string::npos) << what;
    EXPECT_NE(what.find("entry 5"), std::string::npos) << what;
    EXPECT_NE(what.find("committedIndex is 5"), std::string::npos) << what;
  }
  // Nothing was cut: the operator still has the bytes to look at.
  const common::Bytes file = fs.contents(kDataFile);
  EXPECT_EQ(file.at(static_cast<std::size_t>(made.pos[5] + 52)), 0xDA);  // the record's MAGICCODE
}

// Every length of zero tail, from the last byte to all of the entry after its size field, is seen: cut above
// the committed index, refused at it.
TEST(DLedgerTornEntry, EveryZeroTailIsSeen) {
  const std::size_t entry_size = entry_bytes(5, 0).size();
  for (std::size_t tail = 1; tail + 8 <= entry_size; ++tail) {
    SCOPED_TRACE("last " + std::to_string(tail) + " bytes zero");
    {
      FaultFs fs;
      const HandMadeStore made = write_store(fs, 6, /*committed_index=*/4, tail);
      auto store = DLedgerEntryStore::open(fs, options(true));
      ASSERT_EQ(store->end_index(), 4) << store->recovery().stop_reason;
      ASSERT_EQ(store->write_pos(), made.pos[5]);
    }
    {
      FaultFs fs;
      write_store(fs, 6, /*committed_index=*/5, tail);
      ASSERT_THROW(DLedgerEntryStore::open(fs, options(true)), DLedgerCorruption);
    }
  }
}

}  // namespace
}  // namespace rmq::store
