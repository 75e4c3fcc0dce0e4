// MappedFileQueue (storage.md 2.1, 2.2): 20-digit offset-named files of one fixed size, load refuses a file
// of another size, truncate_dirty deletes later files and zeroes the tail, flush advances the flushed offset.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "broker/store/mapped_file_queue.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

namespace fs = std::filesystem;
using rmq::testing::TempDir;

common::Bytes file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return common::Bytes(std::istreambuf_iterator<char>(in), {});
}

TEST(MappedFileQueueTest, CreatesOffsetNamedFullSizeFilesAndRolls) {
  TempDir dir;
  MappedFileQueue q(dir.path() / "log", 1024);
  q.load();
  EXPECT_TRUE(q.empty());
  const common::Bytes chunk(1000, 0xAB);
  q.append(chunk);
  EXPECT_EQ(q.wrote_offset(), 1000);
  q.set_wrote_offset(1024);  // the rest of the first file left unwritten, as after a blank record
  q.append(chunk);
  EXPECT_EQ(q.wrote_offset(), 2024);
  EXPECT_TRUE(fs::exists(dir.path() / "log" / "00000000000000000000"));
  EXPECT_TRUE(fs::exists(dir.path() / "log" / "00000000000000001024"));
  EXPECT_EQ(fs::file_size(dir.path() / "log" / "00000000000000001024"), 1024u);
  common::Bytes out;
  ASSERT_TRUE(q.read(1024, 4, out));
  EXPECT_EQ(out, common::Bytes(4, 0xAB));
  EXPECT_FALSE(q.read(2020, 8, out)) << "past the wrote offset";
  EXPECT_FALSE(q.read(1020, 8, out)) << "across a file end";
  EXPECT_THROW(q.append(common::Bytes(100, 1)), std::out_of_range) << "a write never crosses a file end";
}

TEST(MappedFileQueueTest, LoadRefusesAFileOfTheWrongSizeNamingIt) {
  TempDir dir;
  fs::create_directories(dir.path() / "log");
  rmq::testing::write_file(dir.path() / "log" / "00000000000000000000", common::Bytes(1024, 0));
  rmq::testing::write_file(dir.path() / "log" / "00000000000000001024", common::Bytes(1000, 0));
  MappedFileQueue q(dir.path() / "log", 1024);
  try {
    q.load();
    FAIL() << "load accepted a 1000-byte file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("00000000000000001024"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1000"), std::string::npos) << e.what();
  }
}

TEST(MappedFileQueueTest, LoadDeletesAnEmptyLastFile) {
  TempDir dir;
  rmq::testing::write_file(dir.path() / "log" / "00000000000000000000", common::Bytes(1024, 0));
  rmq::testing::write_file(dir.path() / "log" / "00000000000000001024", common::Bytes{});
  MappedFileQueue q(dir.path() / "log", 1024);
  q.load();
  EXPECT_EQ(q.file_count(), 1u);
  EXPECT_FALSE(fs::exists(dir.path() / "log" / "00000000000000001024"));
}

TEST(MappedFileQueueTest, TruncateDirtyDeletesLaterFilesAndZeroesTheTail) {
  TempDir dir;
  const fs::path log = dir.path() / "log";
  {
    MappedFileQueue q(log, 8192);
    q.load();
    q.append(common::Bytes(8000, 0x11));
    q.set_wrote_offset(8192);
    q.append(common::Bytes(5000, 0x22));
    q.flush();
  }
  MappedFileQueue q(log, 8192);
  q.load();
  EXPECT_EQ(q.wrote_offset(), 16384);
  q.truncate_dirty(100);
  EXPECT_EQ(q.wrote_offset(), 100);
  EXPECT_EQ(q.flushed_offset(), 100);
  EXPECT_FALSE(fs::exists(log / "00000000000000008192"));
  const common::Bytes bytes = file_bytes(log / "00000000000000000000");
  ASSERT_EQ(bytes.size(), 8192u);
  for (std::size_t i = 0; i < 100; ++i) ASSERT_EQ(bytes[i], 0x11) << i;
  for (std::size_t i = 100; i < bytes.size(); ++i) ASSERT_EQ(bytes[i], 0) << i;
}

TEST(MappedFileQueueTest, FlushAdvancesTheFlushedOffset) {
  TempDir dir;
  MappedFileQueue q(dir.path() / "log", 4096);
  q.load();
  EXPECT_FALSE(q.flush());
  q.append(common::Bytes(10, 1));
  EXPECT_EQ(q.flushed_offset(), 0);
  EXPECT_TRUE(q.flush());
  EXPECT_EQ(q.flushed_offset(), 10);
  EXPECT_FALSE(q.flush());
}

}  // namespace
}  // namespace rmq::store
