// A full disk must not kill the broker: store files are allocated (fallocate) when created, so running out
// of space is an IoError naming the file, the store turns not writeable (puts answer SERVICE_NOT_AVAILABLE)
// and reads go on. With sparse files the copy into a hole of the mapping would be a SIGBUS. The disk reserve
// is set to 100% here, so only a really full disk stops the puts: the refusal is then either the reserve's
// ("disk full: ... 100% used", the next commitlog file would not fit) or the file system's ENOSPC.
//
// The child process mounts a 256 KB tmpfs in a private mount namespace (root only; skipped elsewhere).
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "tests/unit/store/plain_store_test_support.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::store {
namespace {

using namespace rmq::store::testing;
using rmq::testing::TempDir;

constexpr int kSkip = 77;

// Exit codes: 0 all as expected, kSkip no tmpfs possible, others name the failed expectation.
[[noreturn]] void run_child(const std::filesystem::path& mount_point) {
  if (::unshare(CLONE_NEWNS) != 0) ::_exit(kSkip);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(kSkip);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k") != 0) ::_exit(kSkip);
  try {
    StoreConfig config = small_config(mount_point, 64 * 1024, 20 * 100);
    config.message_index_enable = false;
    config.disk_space_warning_level_percent = 100;
    auto store = DefaultMessageStore::open(config);
    PutResult failed;
    int stored = 0;
    for (int i = 0; i < 10000; ++i) {
      const PutResult r = put(*store, make_message("T", 0, std::string(1000, 'z')));
      if (r.status != PutStatus::kOk) {
        failed = r;
        break;
      }
      ++stored;
    }
    std::printf("stored %d records, then: %s (%s)\n", stored, to_string(failed.status), failed.detail.c_str());
    if (stored == 0) ::_exit(10);
    if (failed.status != PutStatus::kServiceNotAvailable) ::_exit(11);
    if (failed.detail.find("No space left on device") == std::string::npos &&
        failed.detail.find("disk full") == std::string::npos) {
      ::_exit(12);
    }
    if (put(*store, make_message("T", 0, "x")).status != PutStatus::kServiceNotAvailable) ::_exit(13);
    const GetResult g = store->get_messages("T", 0, 0, 100000, 1 << 30, nullptr);
    if (g.message_count != stored) ::_exit(14);
    std::fflush(stdout);
    ::_exit(0);
  } catch (const std::exception& e) {
    std::printf("child: %s\n", e.what());
    std::fflush(stdout);
    ::_exit(20);
  }
}

TEST(PlainStoreFullDiskTest, FullDiskMakesTheStoreNotWriteableWithoutCrashing) {
  TempDir dir;
  std::fflush(stdout);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) run_child(dir.path());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_FALSE(WIFSIGNALED(status)) << "child killed by signal " << WTERMSIG(status) << " (SIGBUS is "
                                    << SIGBUS << ")";
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kSkip) GTEST_SKIP() << "cannot mount a tmpfs in a private namespace here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the exit codes in run_child";
}

}  // namespace
}  // namespace rmq::store
