// The checkers themselves, on made-up histories and hand-assembled store files: each definition in
// history_checker.h and dledger_files.h is shown to catch its violation (a checker that cannot fail proves
// nothing), and a clean history passes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/fault/dledger_files.h"
#include "tests/fault/history_checker.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::fault {
namespace {

SentMessage sent(const std::string& body, int queue, std::vector<std::int32_t> codes, std::int64_t ack_offset = -1) {
  SentMessage m;
  m.body = body;
  m.queue = queue;
  for (auto c : codes) {
    Attempt a;
    a.node = 0;
    a.code = c;
    a.issued = a.answered = Clock::now();
    if (c == rc::kSuccess) a.queue_offset = ack_offset;
    m.attempts.push_back(a);
  }
  return m;
}

QueueContents queues(std::vector<std::pair<std::int64_t, std::string>> q0) {
  QueueContents c(kQueues);
  c[0] = std::move(q0);
  return c;
}

bool mentions(const CheckReport& r, const std::string& word) {
  for (const auto& p : r.problems) {
    if (p.find(word) != std::string::npos) return true;
  }
  return false;
}

TEST(HistoryChecker, CleanHistoryPasses) {
  std::vector<SentMessage> s{sent("a", 0, {0}, 0), sent("b", 0, {-1, 0}, 1), sent("c", 0, {-1})};
  const auto c = queues({{0, "a"}, {1, "b"}});
  const auto r = check_history(s, {c, c, c}, 0, {{{0, 0}, {"a", 1}}}, {}, {});
  EXPECT_TRUE(r.ok()) << r.problems.front();
  EXPECT_EQ(r.acknowledged, 2u);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.retried_sends, 1u);
  EXPECT_EQ(r.unacknowledged_absent, 1u);
}

TEST(HistoryChecker, AcknowledgedButAbsentIsLost) {
  std::vector<SentMessage> s{sent("a", 0, {0}, 0), sent("b", 0, {0}, 1)};
  const auto c = queues({{0, "a"}});
  const auto r = check_history(s, {c, c, c}, 0, {}, {}, {});
  EXPECT_EQ(r.lost, 1u);
  EXPECT_TRUE(mentions(r, "lost: b"));
}

TEST(HistoryChecker, AcknowledgedOffsetMustHoldTheMessage) {
  std::vector<SentMessage> s{sent("a", 0, {0}, 1), sent("b", 0, {-1})};
  const auto c = queues({{0, "a"}, {1, "b"}});
  const auto r = check_history(s, {c, c, c}, 0, {}, {}, {});
  EXPECT_EQ(r.lost, 0u);
  EXPECT_TRUE(mentions(r, "misplaced: a"));
}

TEST(HistoryChecker, HoleOrRepeatedOffsetIsAProblem) {
  std::vector<SentMessage> s{sent("a", 0, {0}, 0), sent("b", 0, {0}, 2)};
  const auto c = queues({{0, "a"}, {2, "b"}});
  EXPECT_TRUE(mentions(check_history(s, {c, c, c}, 0, {}, {}, {}), "a hole"));
  const auto d = queues({{0, "a"}, {0, "b"}});
  EXPECT_TRUE(mentions(check_history(s, {d, d, d}, 0, {}, {}, {}), "served twice"));
}

TEST(HistoryChecker, DuplicateIsExplainedOnlyByARetry) {
  std::vector<SentMessage> once{sent("a", 0, {0}, 0)};
  const auto c = queues({{0, "a"}, {1, "a"}});
  const auto bad = check_history(once, {c, c, c}, 0, {}, {}, {});
  EXPECT_EQ(bad.duplicates_unexplained, 1u);
  EXPECT_TRUE(mentions(bad, "duplicate: a"));
  std::vector<SentMessage> retried{sent("a", 0, {-1, 0}, 1)};
  const auto good = check_history(retried, {c, c, c}, 0, {}, {}, {});
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(good.duplicates_retried, 1u);
  // Sent twice, stored three times: one copy too many.
  const auto three = queues({{0, "a"}, {1, "a"}, {2, "a"}});
  std::vector<SentMessage> twice{sent("a", 0, {-1, 0}, 2)};
  EXPECT_TRUE(mentions(check_history(twice, {three, three, three}, 0, {}, {}, {}), "duplicate: a"));
}

TEST(HistoryChecker, UnknownBodyAndWrongQueue) {
  std::vector<SentMessage> s{sent("a", 1, {-1})};
  const auto c = queues({{0, "a"}, {1, "zz"}});
  const auto r = check_history(s, {c, c, c}, 0, {}, {}, {});
  EXPECT_TRUE(mentions(r, "served in queue 0"));
  EXPECT_TRUE(mentions(r, "unknown"));
}

TEST(HistoryChecker, NodesMustAgreeAndReadsMustNotChange) {
  std::vector<SentMessage> s{sent("a", 0, {0}, 0), sent("b", 0, {-1})};
  const auto c = queues({{0, "a"}});
  const auto other = queues({{0, "a"}, {1, "b"}});
  EXPECT_TRUE(mentions(check_history(s, {c, other, c}, 0, {}, {}, {}), "divergence: queue 0 on n1"));
  // The consumer saw b at offset 1 during the run; at the end nothing is there (a dirty read).
  EXPECT_TRUE(mentions(check_history(s, {c, c, c}, 0, {{{0, 1}, {"b", 2}}}, {}, {}), "a read changed"));
}

TEST(HistoryChecker, AcknowledgementsOfAResumedLeaderAreCounted) {
  const auto resumed = Clock::now() - std::chrono::seconds(1);
  std::vector<SentMessage> s{sent("a", 0, {0}, 0), sent("b", 0, {0}, 1), sent("c", 0, {0}, 2)};
  // a and b were asked while the node was stopped and answered after SIGCONT; c was asked after.
  for (int i = 0; i < 2; ++i) s[static_cast<std::size_t>(i)].attempts[0].issued = resumed - std::chrono::seconds(1);
  const auto c = queues({{0, "a"}, {1, "zz"}, {2, "c"}});
  const auto r = check_history(s, {c, c, c}, 0, {}, {}, {PauseWindow{0, resumed}});
  EXPECT_EQ(r.acks_after_resume, 2u);
  EXPECT_EQ(r.acks_after_resume_lost, 1u);
  EXPECT_EQ(r.lost, 1u);
}

// ---- dledger_files.h on stores assembled by hand from storage.md 5 ------------------------------------------

constexpr std::int64_t kFileSize = 256;  // small data files, so entries and a blank cross a file boundary

void put32(std::string& out, std::int32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((static_cast<std::uint32_t>(v) >> s) & 0xff));
}
void put64(std::string& out, std::int64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> s) & 0xff));
}

// Writes entries of `body_sizes` (terms `terms`) into dir/data and dir/index, with blank padding where an
// entry would not fit (5.3), and checkpoint committedIndex=`committed`. Body bytes are 'a' + index, or
// `poison` for index `poison_index`.
void write_store(const std::filesystem::path& dir, const std::vector<int>& body_sizes, const std::vector<int>& terms,
                 std::int64_t committed, std::int64_t poison_index = -1) {
  std::filesystem::create_directories(dir / "data");
  std::filesystem::create_directories(dir / "index");
  std::string data;
  std::string index;
  for (std::size_t i = 0; i < body_sizes.size(); ++i) {
    const std::int32_t size = 48 + body_sizes[i];
    const std::int64_t in_file = static_cast<std::int64_t>(data.size()) % kFileSize;
    if (size + 8 > kFileSize - in_file) {
      const std::int32_t rest = static_cast<std::int32_t>(kFileSize - in_file);
      put32(data, -1);
      put32(data, rest);
      data.append(static_cast<std::size_t>(rest - 8), '\0');
    }
    const std::int64_t pos = static_cast<std::int64_t>(data.size());
    put32(data, 1);
    put32(data, size);
    put64(data, static_cast<std::int64_t>(i));
    put64(data, terms[i]);
    put64(data, pos);
    put32(data, 0);
    put32(data, 0);
    put32(data, 0);
    put32(data, body_sizes[i]);
    data.append(static_cast<std::size_t>(body_sizes[i]),
                static_cast<std::int64_t>(i) == poison_index ? 'X' : static_cast<char>('a' + i));
    put32(index, 1);
    put64(index, pos);
    put32(index, size);
    put64(index, static_cast<std::int64_t>(i));
    put64(index, terms[i]);
  }
  data.append(static_cast<std::size_t>((kFileSize - static_cast<std::int64_t>(data.size()) % kFileSize) % kFileSize), '\0');
  for (std::int64_t start = 0; start < static_cast<std::int64_t>(data.size()); start += kFileSize) {
    char name[32];
    std::snprintf(name, sizeof name, "%020lld", static_cast<long long>(start));
    std::ofstream(dir / "data" / name, std::ios::binary).write(data.data() + start, kFileSize);
  }
  index.append(4096 - index.size(), '\0');
  std::ofstream(dir / "index" / "00000000000000000000", std::ios::binary).write(index.data(), 4096);
  std::ofstream(dir / "checkpoint") << "committedIndex=" << committed << "\nendIndex=" << body_sizes.size() - 1 << "\n";
}

TEST(DLedgerFiles, IdenticalStoresCompareEqualUpToTheCommonCommittedIndex) {
  rmq::testing::TempDir tmp;
  // Entry 2 does not fit in file 0 (blank, then file 256), entry 3 not in file 256 (blank, then file 512).
  const std::vector<int> sizes{20, 60, 100, 90, 30, 10};
  const std::vector<int> terms{1, 1, 1, 2, 2, 3};
  write_store(tmp.path() / "a", sizes, terms, 5);
  write_store(tmp.path() / "b", sizes, terms, 4);
  // c differs only above the common committed index (4): its uncommitted entry 5 carries other bytes.
  write_store(tmp.path() / "c", sizes, terms, 5, 5);
  const auto c = compare_dledger_regions({tmp.path() / "a", tmp.path() / "b", tmp.path() / "c"}, kFileSize);
  EXPECT_TRUE(c.problems.empty()) << c.problems.front();
  EXPECT_EQ(c.common_committed_index, 4);
  EXPECT_EQ(c.first_index, 0);
  EXPECT_GT(c.bytes_compared, kFileSize);  // the blank and the second file were compared
  const auto scan = scan_dledger_store(tmp.path() / "a", kFileSize, 5);
  ASSERT_EQ(scan.entries.size(), 6u);
  EXPECT_EQ(scan.entries[2].pos, kFileSize);
  EXPECT_EQ(scan.entries[3].pos, 2 * kFileSize);
}

TEST(DLedgerFiles, DifferentBytesBelowTheCommittedIndexAreReported) {
  rmq::testing::TempDir tmp;
  const std::vector<int> sizes{20, 60, 100, 90};
  const std::vector<int> terms{1, 1, 1, 2};
  write_store(tmp.path() / "a", sizes, terms, 3);
  write_store(tmp.path() / "b", sizes, terms, 3, 2);
  const auto c = compare_dledger_regions({tmp.path() / "a", tmp.path() / "b"}, kFileSize);
  ASSERT_FALSE(c.problems.empty());
  EXPECT_NE(c.problems.front().find("data differs"), std::string::npos) << c.problems.front();
}

TEST(DLedgerFiles, DifferentTermsAndBrokenIndexUnitsAreReported) {
  rmq::testing::TempDir tmp;
  write_store(tmp.path() / "a", {20, 60, 100}, {1, 1, 1}, 2);
  write_store(tmp.path() / "b", {20, 60, 100}, {1, 1, 2}, 2);
  const auto c = compare_dledger_regions({tmp.path() / "a", tmp.path() / "b"}, kFileSize);
  ASSERT_FALSE(c.problems.empty());
  EXPECT_NE(c.problems.front().find("entry 2"), std::string::npos) << c.problems.front();
  // An index unit that disagrees with its entry (5.4).
  {
    std::fstream f(tmp.path() / "a" / "index" / "00000000000000000000", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(32 + 12);
    f.put('\x7f');
  }
  const auto scan = scan_dledger_store(tmp.path() / "a", kFileSize, 2);
  ASSERT_FALSE(scan.problems.empty());
  EXPECT_NE(scan.problems.front().find("index unit 1"), std::string::npos) << scan.problems.front();
  // A store that ends before the index asked for.
  EXPECT_FALSE(scan_dledger_store(tmp.path() / "b", kFileSize, 7).problems.empty());
}

}  // namespace
}  // namespace rmq::fault
