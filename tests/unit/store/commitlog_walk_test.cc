// One walk rule (review item 6): the broker's recovery (CommitLog::scan) and check-commitlog
// (scan_commitlog) step through a log with walk_step(), so they agree on where it ends even for a blank
// record whose declared length is nonsense (upstream rolls to the next file on the blank magic alone; the
// recovery walk used to stop there and truncate every later file).
#include <gtest/gtest.h>

#include "broker/store/commit_log.h"
#include "broker/store/commitlog_files.h"
#include "broker/store/commitlog_scan.h"
#include "broker/store/commitlog_walk.h"
#include "tests/unit/store/hex_bytes.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

constexpr std::int64_t kFileSize = 4096;

common::Bytes record_at(std::int64_t offset, const std::string& body) {
  MessageRecord r;
  r.topic = "T";
  r.body.assign(body.begin(), body.end());
  r.born_host = HostAddress{{127, 0, 0, 1}, 1};
  r.store_host = HostAddress{{127, 0, 0, 1}, 2};
  r.store_timestamp_ms = 1700000000000;
  r.physical_offset = offset;
  seal(r);
  common::Bytes out;
  encode(r, out);
  return out;
}

TEST(CommitlogWalk, RecoveryAndCheckAgreeOnABlankWithANegativeLength) {
  rmq::testing::TempDir dir;
  common::Bytes file0 = record_at(0, "a");
  const std::size_t blank_at = file0.size();
  const common::Bytes bad_blank = testing::hex_bytes("FFFFFFFB CBD43194");  // declares -5 remaining bytes
  file0.insert(file0.end(), bad_blank.begin(), bad_blank.end());
  file0.resize(kFileSize, 0);
  common::Bytes file1 = record_at(kFileSize, "b");
  const std::int64_t end = kFileSize + static_cast<std::int64_t>(file1.size());
  file1.resize(kFileSize, 0);
  rmq::testing::write_file(dir.path() / "commitlog" / "00000000000000000000", file0);
  rmq::testing::write_file(dir.path() / "commitlog" / "00000000000000004096", file1);

  EXPECT_EQ(walk_step(common::ByteSpan(file0).subspan(blank_at), true, nullptr).step, WalkStep::kRollToNextFile);

  CommitLog log(dir.path() / "commitlog", kFileSize, HostAddress{{127, 0, 0, 1}, 2});
  log.load();
  std::int64_t records = 0;
  EXPECT_EQ(log.scan(0, true, [&](const MessageRecord&, std::int64_t, std::int32_t) { ++records; }), end);
  EXPECT_EQ(records, 2);

  const CommitlogScan scan = scan_commitlog(list_commitlog_files(dir.path() / "commitlog"));
  EXPECT_EQ(scan.max_offset, end);
  EXPECT_EQ(scan.record_count, 2u);
}

}  // namespace
}  // namespace rmq::store
