// CommitLog append and read against the record layout of storage.md 1.2 and the blank/roll rule of 1.8,
// with expected bytes taken from the spec tables, not from the encoder.
#include <gtest/gtest.h>

#include <fstream>

#include "broker/store/commit_log.h"
#include "tests/unit/store/hex_bytes.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using rmq::testing::TempDir;
using testing::hex_bytes;

const HostAddress kStoreHost{{10, 0, 0, 7}, 10911};

common::Bytes file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return common::Bytes(std::istreambuf_iterator<char>(in), {});
}

common::Bytes slice(const common::Bytes& b, std::size_t at, std::size_t n) {
  return common::Bytes(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
}

MessageRecord message(std::size_t body_size, char fill = 'x') {
  MessageRecord m;
  m.topic = "T";
  m.queue_id = 3;
  m.queue_offset = 0;
  m.born_timestamp_ms = 1;
  m.born_host = HostAddress{{1, 2, 3, 4}, 5};
  m.body.assign(body_size, static_cast<std::uint8_t>(fill));
  return m;
}

std::vector<AppendedRecord> append_one(CommitLog& log, MessageRecord m, std::int64_t store_time = 1000) {
  std::vector<MessageRecord> v{std::move(m)};
  return log.append(v, store_time);
}

TEST(CommitLogAppendTest, WritesTheSpecLayout) {
  TempDir dir;
  CommitLog log(dir.path(), 4096, kStoreHost);
  log.load();
  MessageRecord m;
  m.topic = "T";
  m.queue_id = 2;
  m.flag = 0;
  m.queue_offset = 5;
  m.born_timestamp_ms = 0x0102030405;
  m.born_host = HostAddress{{192, 168, 0, 1}, 1234};
  m.body = {'h', 'e', 'l', 'l', 'o'};
  const auto placed = append_one(log, m, 0x1122334455);
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].physical_offset, 0);
  EXPECT_EQ(placed[0].size_bytes, 91 + 5 + 1);
  const common::Bytes b = file_bytes(dir.path() / "00000000000000000000");
  ASSERT_EQ(b.size(), 4096u);
  EXPECT_EQ(slice(b, 0, 4), hex_bytes("00 00 00 61"));                      // TOTALSIZE 97
  EXPECT_EQ(slice(b, 4, 4), hex_bytes("DA A3 20 A7"));                      // v1 magic
  EXPECT_EQ(slice(b, 8, 4), hex_bytes("36 10 A6 86"));                      // CRC32("hello") & 0x7FFFFFFF
  EXPECT_EQ(slice(b, 12, 4), hex_bytes("00 00 00 02"));                     // QUEUEID
  EXPECT_EQ(slice(b, 20, 8), hex_bytes("00 00 00 00 00 00 00 05"));         // QUEUEOFFSET
  EXPECT_EQ(slice(b, 28, 8), hex_bytes("00 00 00 00 00 00 00 00"));         // PHYSICALOFFSET
  EXPECT_EQ(slice(b, 36, 4), hex_bytes("00 00 00 00"));                     // SYSFLAG: IPv4 hosts
  EXPECT_EQ(slice(b, 48, 8), hex_bytes("C0 A8 00 01 00 00 04 D2"));         // BORNHOST
  EXPECT_EQ(slice(b, 56, 8), hex_bytes("00 00 00 11 22 33 44 55"));         // STORETIMESTAMP
  EXPECT_EQ(slice(b, 64, 8), hex_bytes("0A 00 00 07 00 00 2A 9F"));         // STOREHOST 10.0.0.7:10911
  EXPECT_EQ(slice(b, 84, 9), hex_bytes("00 00 00 05 68 65 6C 6C 6F"));      // BODY
  EXPECT_EQ(slice(b, 93, 4), hex_bytes("01 54 00 00"));                     // TOPIC "T", no properties
  EXPECT_EQ(slice(b, 97, 8), common::Bytes(8, 0));                          // nothing after it

  const auto read = log.read_record(0);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, slice(b, 0, 97));
  EXPECT_FALSE(log.read_record(1).has_value());
  EXPECT_FALSE(log.read_record(97).has_value());
  EXPECT_FALSE(log.read_record(-5).has_value());
  EXPECT_FALSE(log.read_record(1 << 20).has_value());
  EXPECT_EQ(log.max_offset(), 97);
}

// Record sizes here are 92 + body (topic "T", no properties, IPv4 hosts).
TEST(CommitLogAppendTest, RecordLeavingExactlyEightBytesFitsThenTheBlankFillsThem) {
  TempDir dir;
  CommitLog log(dir.path(), 4096, kStoreHost);
  log.load();
  EXPECT_EQ(append_one(log, message(1000))[0].physical_offset, 0);   // 1092 bytes
  const auto second = append_one(log, message(2904));                 // 2996 bytes: 4096 - 1092 - 8
  EXPECT_EQ(second[0].physical_offset, 1092);
  EXPECT_EQ(log.max_offset(), 4088);
  const auto third = append_one(log, message(10));
  EXPECT_EQ(third[0].physical_offset, 4096);
  const common::Bytes first_file = file_bytes(dir.path() / "00000000000000000000");
  EXPECT_EQ(slice(first_file, 4088, 8), hex_bytes("00 00 00 08 CB D4 31 94"));
  const common::Bytes second_file = file_bytes(dir.path() / "00000000000000004096");
  EXPECT_EQ(slice(second_file, 0, 4), hex_bytes("00 00 00 66"));
  EXPECT_EQ(slice(second_file, 28, 8), hex_bytes("00 00 00 00 00 00 10 00"));  // PHYSICALOFFSET 4096
  EXPECT_TRUE(log.read_record(4096).has_value());
  EXPECT_FALSE(log.read_record(4088).has_value()) << "a blank is not a record";
}

TEST(CommitLogAppendTest, RecordOneByteTooLargeRollsWithABlankOfTheRemainingLength) {
  TempDir dir;
  CommitLog log(dir.path(), 4096, kStoreHost);
  log.load();
  append_one(log, message(1000));                         // [0, 1092)
  const auto rolled = append_one(log, message(2905));     // 2997 bytes: 1 byte short of the 8 to spare
  EXPECT_EQ(rolled[0].physical_offset, 4096);
  const common::Bytes first_file = file_bytes(dir.path() / "00000000000000000000");
  EXPECT_EQ(slice(first_file, 1092, 8), hex_bytes("00 00 0B BC CB D4 31 94"));  // 3004 = 4096 - 1092
  for (std::size_t i = 1100; i < first_file.size(); ++i) ASSERT_EQ(first_file[i], 0) << i;
  EXPECT_EQ(log.max_offset(), 4096 + 2997);
}

TEST(CommitLogAppendTest, BatchStaysInOneFileAndTooLargeRecordsAreRefused) {
  TempDir dir;
  CommitLog log(dir.path(), 4096, kStoreHost);
  log.load();
  append_one(log, message(3000));  // [0, 3092)
  std::vector<MessageRecord> batch{message(400, 'a'), message(400, 'b'), message(400, 'c')};  // 3 x 492
  const auto placed = log.append(batch, 5);
  ASSERT_EQ(placed.size(), 3u);
  EXPECT_EQ(placed[0].physical_offset, 4096);
  EXPECT_EQ(placed[1].physical_offset, 4096 + 492);
  EXPECT_EQ(placed[2].physical_offset, 4096 + 984);
  EXPECT_EQ(batch[1].physical_offset, 4096 + 492);
  EXPECT_EQ(batch[2].store_timestamp_ms, 5);
  std::vector<MessageRecord> huge{message(4096)};
  const std::int64_t before = log.max_offset();
  EXPECT_THROW(log.append(huge, 1), std::length_error);
  EXPECT_EQ(log.max_offset(), before);
}

TEST(CommitLogAppendTest, ScanStopsAtGarbageAndRecoveryStartIsTheThirdLastFile) {
  TempDir dir;
  {
    CommitLog log(dir.path(), 4096, kStoreHost);
    log.load();
    for (int i = 0; i < 10; ++i) append_one(log, message(1500));  // 1592 each: two per file
  }
  CommitLog log(dir.path(), 4096, kStoreHost);
  log.load();
  EXPECT_EQ(log.recovery_start(false, 0), 2 * 4096);  // 5 files: index 2
  std::vector<std::int64_t> offsets;
  const std::int64_t end = log.scan(0, true, [&](const MessageRecord& r, std::int64_t offset, std::int32_t size) {
    EXPECT_EQ(r.physical_offset, offset);
    EXPECT_EQ(size, 1592);
    offsets.push_back(offset);
  });
  EXPECT_EQ(offsets.size(), 10u);
  EXPECT_EQ(end, 4 * 4096 + 2 * 1592);
}

}  // namespace
}  // namespace rmq::store
