// The crash contract: a child process puts messages and reports each acknowledged one through a pipe; the
// parent SIGKILLs it at a random moment, reopens the store (abort file present: abnormal recovery) and
// checks that every acknowledged message is readable through its consume queue at its queue offset.
// Replay a failure with RMQ_CRASH_SEED=<seed printed in the failure>.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

using namespace rmq::store::testing;
using rmq::testing::TempDir;

struct Ack {
  std::int32_t index = 0;
  std::int32_t queue_id = 0;
  std::int64_t queue_offset = 0;
};

[[noreturn]] void run_child(const StoreConfig& config, int write_fd) {
  try {
    auto store = DefaultMessageStore::open(config);
    for (std::int32_t i = 0;; ++i) {
      const std::int32_t queue_id = i % 4;
      const PutResult r = put(*store, make_message("Crash", queue_id, "msg-" + std::to_string(i) + std::string(i % 97, '#')));
      if (r.status != PutStatus::kOk) ::_exit(3);
      const Ack ack{i, queue_id, r.queue_offset};
      if (::write(write_fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) ::_exit(4);
    }
  } catch (...) {
    ::_exit(2);
  }
}

void crash_and_check(std::uint32_t seed, bool sync_flush) {
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay: RMQ_CRASH_SEED=" + std::to_string(seed) + ")");
  std::mt19937 rng(seed);
  const int kill_after_acks = std::uniform_int_distribution<int>(20, 400)(rng);
  TempDir dir;
  StoreConfig config = small_config(dir.path(), 8192, 20 * 32);
  config.sync_flush = sync_flush;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    run_child(config, fds[1]);
  }
  ::close(fds[1]);
  std::vector<Ack> acks;
  Ack ack;
  bool killed = false;
  while (::read(fds[0], &ack, sizeof ack) == static_cast<ssize_t>(sizeof ack)) {
    acks.push_back(ack);
    if (!killed && static_cast<int>(acks.size()) >= kill_after_acks) {
      ::kill(child, SIGKILL);
      killed = true;
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_GE(static_cast<int>(acks.size()), kill_after_acks);

  auto store = DefaultMessageStore::open(config);
  EXPECT_FALSE(store->last_exit_was_clean());
  for (const Ack& a : acks) {
    const GetResult r = store->get_messages("Crash", a.queue_id, a.queue_offset, 1, 1 << 20, nullptr);
    ASSERT_EQ(r.status, GetStatus::kFound) << "ack " << a.index << " at " << a.queue_id << "@" << a.queue_offset;
    const auto records = decode_all(r.records);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(body_of(records[0]), "msg-" + std::to_string(a.index) + std::string(a.index % 97, '#'));
  }
  // The store goes on from a consistent point: the next queue offset follows the last stored one.
  const std::int64_t next = store->max_offset_in_queue("Crash", 0);
  EXPECT_EQ(put(*store, make_message("Crash", 0, "after")).queue_offset, next);
}

std::uint32_t seed_from_env_or_random() {
  if (const char* env = std::getenv("RMQ_CRASH_SEED")) return static_cast<std::uint32_t>(std::strtoul(env, nullptr, 10));
  return std::random_device{}();
}

TEST(PlainStoreCrashTest, AckedMessagesSurviveSigkillAsyncFlush) {
  const std::uint32_t seed = seed_from_env_or_random();
  std::printf("crash seed %u\n", seed);
  crash_and_check(seed, false);
}

TEST(PlainStoreCrashTest, AckedMessagesSurviveSigkillSyncFlush) {
  const std::uint32_t seed = seed_from_env_or_random();
  std::printf("crash seed %u\n", seed);
  crash_and_check(seed, true);
}

}  // namespace
}  // namespace rmq::store
