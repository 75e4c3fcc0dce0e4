// Crash-point tests of the DLedger entry store and its hard state, on the fault-injection file system.
//
// A seeded workload (appends with periodic syncs, hard-state saves, truncations, checkpoints) runs against a
// fresh FaultFs that crashes at operation n, for every n from 1 until the workload completes without reaching
// it; the crash model then decides what the disk holds, the store is reopened, and we check:
// - every entry reported durable (synced, or kept by a completed truncate or checkpoint) is there, intact;
// - every entry present is one the workload appended at that index (no garbage, no resurrected stale bytes
//   standing in for another index), indexes run contiguously from 0, terms never decrease, positions follow;
// - the hard state is the last one saved, or the one whose save was cut short; never older, never garbage;
// - the committed index is the one in the last completed checkpoint (or the interrupted one), never past
//   the end of the log;
// - the recovered store works: it takes more appends, and a clean reopen shows them.
// The same loop runs with an injected I/O error (no crash) at every operation: after a failed write
// everything appended must be there, since the kernel still holds it; after a failed sync (whose pages Linux
// marks clean, never to be written) only what was reported durable, and nothing the reopened store serves
// may vanish in a crash that follows.
//
// On failure the trace names the mode, the seed and n; RMQ_DLEDGER_CRASH_SEED=<seed> replays one seed:
//   RMQ_DLEDGER_CRASH_SEED=7 ./test_store --gtest_filter='DLedgerCrash.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "broker/store/dledger_entry_store.h"
#include "broker/store/dledger_member_state_file.h"
#include "tests/unit/store/fault_fs.h"
#include "tests/unit/store/fault_fs_dledger.h"

namespace rmq::store {
namespace {

using testing::CrashMode;
using testing::FaultFs;
using testing::FaultKind;
using testing::SimulatedCrash;

constexpr std::int64_t kDataFileBytes = 2048;
constexpr std::int64_t kIndexFileBytes = 32 * 8;
constexpr int kSteps = 150;

struct LoggedEntry {
  std::int64_t term;
  common::Bytes body;
  bool operator==(const LoggedEntry&) const = default;
};

// What the workload was told, i.e. what it may rely on after a crash.
struct Model {
  std::vector<LoggedEntry> log;                   // the log as appended so far
  std::vector<LoggedEntry> durable;               // the prefix reported durable
  std::vector<std::vector<LoggedEntry>> ever;     // every entry ever appended at each index
  std::optional<DLedgerHardState> hard_state;     // the last hard state whose save returned
  std::optional<DLedgerHardState> saving_hard_state;
  std::optional<DLedgerCheckpoint> checkpoint;    // the last checkpoint whose save returned
  std::optional<DLedgerCheckpoint> saving_checkpoint;
};

DLedgerStoreOptions options_for(CrashMode mode) {
  auto options = testing::small_store_options(kDataFileBytes, kIndexFileBytes);
  options.first_entry_pos = 2 * kDataFileBytes;
  // Whole-write crash models need only DLedger's own checks; torn writes need the body to speak for itself.
  if (mode == CrashMode::kTearUnsynced) options.body_check = testing::self_crc_body_check();
  return options;
}

// Runs the workload; returns normally when it completed, throws SimulatedCrash or IoError where it stopped.
// `model` is updated as each call returns, so it is exact at the point of the throw.
void run_workload(FaultFs& fs, const DLedgerStoreOptions& options, std::uint64_t seed, Model& model) {
  std::mt19937_64 rng(seed);
  auto store = DLedgerEntryStore::open(fs, options);
  DLedgerMemberStateFile state_file(fs, store->dir());
  std::int64_t term = 1;
  for (int step = 0; step < kSteps; ++step) {
    const int r = static_cast<int>(rng() % 100);
    if (r < 62) {
      const std::size_t size = 4 + rng() % 700;
      const common::Bytes body = testing::self_checked_body(rng(), size);
      // Recorded before the call: its bytes may reach the disk even if the call does not return.
      const auto index = static_cast<std::size_t>(store->end_index() + 1);
      if (model.ever.size() <= index) model.ever.resize(index + 1);
      model.ever[index].push_back({term, body});
      store->append_as_leader(term, body);
      model.log.push_back({term, body});
    } else if (r < 76) {
      store->sync();
      model.durable = model.log;
    } else if (r < 84) {
      ++term;
      const DLedgerHardState next{term, "n" + std::to_string(rng() % 3)};
      model.saving_hard_state = next;
      state_file.save_hard_state(next);
      model.hard_state = next;
      model.saving_hard_state.reset();
    } else if (r < 92) {
      const std::int64_t low = std::max<std::int64_t>(store->committed_index(), -1);
      const std::int64_t high = store->end_index();
      if (high <= low) continue;
      const std::int64_t keep = low + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(high - low));
      model.durable.resize(std::min(model.durable.size(), static_cast<std::size_t>(keep + 1)));
      model.log.resize(static_cast<std::size_t>(keep + 1));
      store->truncate_after(keep);
      model.durable = model.log;
    } else {
      const std::int64_t low = store->committed_index();
      const std::int64_t high = store->end_index();
      if (high < 0) continue;
      const std::int64_t commit = low + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(high - low + 1));
      store->set_committed_index(std::max(commit, low));
      model.saving_checkpoint = DLedgerCheckpoint{store->end_index(), store->committed_index()};
      store->save_checkpoint();
      model.durable = model.log;
      model.checkpoint = model.saving_checkpoint;
      model.saving_checkpoint.reset();
    }
  }
}

// Checks a reopened store against what the model allows; `must_have` is the prefix that has to be there.
void check_store(const DLedgerEntryStore& store, const Model& model, const std::vector<LoggedEntry>& must_have) {
  ASSERT_GE(store.end_index() + 1, static_cast<std::int64_t>(must_have.size()));
  if (store.end_index() >= 0) {
    ASSERT_EQ(store.begin_index(), 0);
  } else {
    ASSERT_EQ(store.begin_index(), -1);
  }
  std::int64_t prev_term = -1;
  std::int64_t next_pos = store.first_file_offset();
  for (std::int64_t i = 0; i <= store.end_index(); ++i) {
    const auto e = store.get(i);
    ASSERT_TRUE(e.has_value()) << "entry " << i;
    ASSERT_EQ(e->index, i);
    const LoggedEntry got{e->term, e->body};
    const auto idx = static_cast<std::size_t>(i);
    if (idx < must_have.size()) {
      ASSERT_EQ(got, must_have[idx]) << "durable entry " << i << " changed";
    } else {
      ASSERT_LT(idx, model.ever.size()) << "entry " << i << " was never appended";
      const auto& versions = model.ever[idx];
      ASSERT_NE(std::find(versions.begin(), versions.end(), got), versions.end()) << "garbage entry " << i;
    }
    ASSERT_GE(e->term, prev_term);
    prev_term = e->term;
    const std::int64_t size = static_cast<std::int64_t>(e->size_bytes());
    if (e->pos != next_pos) {  // only a blank may come between entries, and the entry opens the next file
      const std::int64_t next_file = next_pos - next_pos % kDataFileBytes + kDataFileBytes;
      ASSERT_EQ(e->pos, next_file) << "entry " << i;
      common::Bytes blank(8);
      store.read_data(next_pos, blank);
      ASSERT_EQ(common::load_i32_be(blank.data()), -1) << "no blank before entry " << i;
      ASSERT_EQ(common::load_i32_be(blank.data() + 4), next_file - next_pos) << "blank before entry " << i;
    }
    next_pos = e->pos + size;
  }
  ASSERT_LE(store.committed_index(), store.end_index());
}

void check_state_files(const DLedgerEntryStore& store, FaultFs& fs, const Model& model) {
  const auto hard_state = DLedgerMemberStateFile(fs, store.dir()).load_hard_state();
  if (model.hard_state) {
    ASSERT_TRUE(hard_state.has_value());
    ASSERT_TRUE(*hard_state == *model.hard_state || hard_state == model.saving_hard_state)
        << "hard state term " << hard_state->current_term << " vote " << hard_state->voted_for;
  } else {
    ASSERT_TRUE(!hard_state || hard_state == model.saving_hard_state);
  }
  const auto& checkpoint = store.checkpoint_at_open();
  if (model.checkpoint) {
    ASSERT_TRUE(checkpoint.has_value());
    ASSERT_TRUE(*checkpoint == *model.checkpoint || checkpoint == model.saving_checkpoint);
  } else {
    ASSERT_TRUE(!checkpoint || checkpoint == model.saving_checkpoint);
  }
  if (checkpoint && checkpoint == model.checkpoint) {
    // The checkpoint is saved after a sync, so its committed index is inside the recovered log.
    ASSERT_EQ(store.committed_index(), checkpoint->committed_index);
  }
}

// The recovered store keeps working: three more appends, a sync, a clean reopen.
void check_usable_after(FaultFs& fs, const DLedgerStoreOptions& options, Model model) {
  std::vector<LoggedEntry> log;
  {
    auto store = DLedgerEntryStore::open(fs, options);
    for (std::int64_t i = 0; i <= store->end_index(); ++i) {
      const auto e = store->get(i);
      log.push_back({e->term, e->body});
    }
    const std::int64_t term = std::max<std::int64_t>(store->end_term(), 1);
    for (int k = 0; k < 3; ++k) {
      const common::Bytes body = testing::self_checked_body(1000 + static_cast<std::uint64_t>(k), 300);
      const DLedgerEntry e = store->append_as_leader(term, body);
      log.push_back({term, body});
      if (model.ever.size() <= static_cast<std::size_t>(e.index)) model.ever.resize(static_cast<std::size_t>(e.index) + 1);
      model.ever[static_cast<std::size_t>(e.index)].push_back({term, body});
    }
    store->sync();
  }
  auto reopened = DLedgerEntryStore::open(fs, options);
  ASSERT_EQ(reopened->end_index() + 1, static_cast<std::int64_t>(log.size()));
  check_store(*reopened, model, log);
}

std::vector<std::uint64_t> seeds() {
  if (const char* env = std::getenv("RMQ_DLEDGER_CRASH_SEED")) return {std::strtoull(env, nullptr, 10)};
  return {1, 2, 3};
}

void crash_at_every_point(CrashMode mode) {
  const DLedgerStoreOptions options = options_for(mode);
  for (const std::uint64_t seed : seeds()) {
    std::uint64_t points = 0;
    for (std::uint64_t n = 1;; ++n) {
      SCOPED_TRACE(std::string("mode ") + testing::to_string(mode) + " seed " + std::to_string(seed) +
                   " crash at op " + std::to_string(n) + "; replay: RMQ_DLEDGER_CRASH_SEED=" + std::to_string(seed) +
                   " test_store --gtest_filter='DLedgerCrash.*'");
      FaultFs fs;
      fs.create_dir("/store");
      fs.sync_dir("/");
      fs.inject(FaultKind::kCrash, fs.op_count() + n);
      Model model;
      bool completed = false;
      try {
        run_workload(fs, options, seed, model);
        completed = true;
      } catch (const SimulatedCrash&) {
      }
      if (completed) break;
      ++points;
      fs.crash(mode, seed * 1000003 + n);
      std::unique_ptr<DLedgerEntryStore> store;
      ASSERT_NO_THROW(store = DLedgerEntryStore::open(fs, options));
      check_store(*store, model, model.durable);
      check_state_files(*store, fs, model);
      store.reset();
      check_usable_after(fs, options, model);
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_GT(points, 300u) << "the workload should pass through many crash points";
  }
}

TEST(DLedgerCrash, DropUnsyncedAtEveryPoint) { crash_at_every_point(CrashMode::kDropUnsynced); }
TEST(DLedgerCrash, KeepSomeUnsyncedAtEveryPoint) { crash_at_every_point(CrashMode::kKeepSomeUnsynced); }
TEST(DLedgerCrash, TornUnsyncedAtEveryPoint) { crash_at_every_point(CrashMode::kTearUnsynced); }

TEST(DLedgerCrash, IoErrorAtEveryPointLosesNothingAcknowledged) {
  const DLedgerStoreOptions options = options_for(CrashMode::kDropUnsynced);
  for (const std::uint64_t seed : seeds()) {
    for (std::uint64_t n = 1;; ++n) {
      SCOPED_TRACE("I/O error, seed " + std::to_string(seed) + " at op " + std::to_string(n));
      FaultFs fs;
      fs.create_dir("/store");
      fs.sync_dir("/");
      fs.inject(FaultKind::kFail, fs.op_count() + n);
      Model model;
      bool completed = false;
      std::string error;
      try {
        run_workload(fs, options, seed, model);
        completed = true;
      } catch (const common::IoError& e) {
        error = e.what();
      }
      if (completed) break;
      SCOPED_TRACE(error + (fs.last_fault_kind() ? " kind " + std::to_string(static_cast<int>(*fs.last_fault_kind())) : std::string(" no kind")));
      // No crash. A failed write leaves every earlier write in the kernel, so everything appended must be there.
      // A failed sync is not a retry (review item 3): the kernel dropped the unsynced pages from writeback, so
      // only what was reported durable must be there, and the store must not serve the rest: what a reopened
      // store holds has to survive a crash right after (it did not, before the store cut back to the synced
      // end: the reopened log held entries that a crash then took away).
      const bool failed_sync = fs.last_fault_kind() == testing::OpCounter::kSync;
      std::unique_ptr<DLedgerEntryStore> store;
      ASSERT_NO_THROW(store = DLedgerEntryStore::open(fs, options));
      check_store(*store, model, failed_sync ? model.durable : model.log);
      check_state_files(*store, fs, model);
      std::vector<DLedgerEntry> served;
      for (std::int64_t i = 0; i <= store->end_index(); ++i) served.push_back(*store->get(i));
      store.reset();
      fs.crash(CrashMode::kDropUnsynced, seed * 7919 + n);
      ASSERT_NO_THROW(store = DLedgerEntryStore::open(fs, options));
      ASSERT_EQ(store->end_index() + 1, static_cast<std::int64_t>(served.size()))
          << "entries served after the I/O error vanished in a crash";
      for (std::int64_t i = 0; i <= store->end_index(); ++i) ASSERT_EQ(*store->get(i), served[static_cast<std::size_t>(i)]);
      store.reset();
      check_usable_after(fs, options, model);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace rmq::store
