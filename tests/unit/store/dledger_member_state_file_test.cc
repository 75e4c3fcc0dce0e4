// currterm and checkpoint: text, .bak handling, and a crash at every step of a save.
#include <gtest/gtest.h>

#include "broker/store/dledger_error.h"
#include "broker/store/dledger_member_state_file.h"
#include "tests/unit/store/fault_fs.h"
#include "tests/unit/store/hex_bytes.h"

namespace rmq::store {
namespace {

using testing::CrashMode;
using testing::FaultFs;
using testing::FaultKind;
using testing::text_bytes;

void put(FaultFs& fs, const std::filesystem::path& path, std::string_view text) {
  auto file = fs.open(path, common::OpenMode::kCreateTruncate);
  file->append(text_bytes(text));
  file->sync();
  fs.sync_dir(path.parent_path());
}

TEST(DLedgerMemberStateFile, SaveKeepsPreviousInBakAndLeavesNoTmp) {
  FaultFs fs;
  fs.create_dir("/d");
  DLedgerMemberStateFile files(fs, "/d");
  EXPECT_FALSE(files.load_hard_state().has_value());
  files.save_hard_state({1, "n0"});
  EXPECT_FALSE(fs.exists("/d/currterm.bak"));
  files.save_hard_state({2, ""});
  EXPECT_EQ(fs.contents("/d/currterm.bak"), text_bytes("voteLeader=n0\ncurrTerm=1\n"));
  EXPECT_FALSE(fs.exists("/d/currterm.tmp"));
  EXPECT_EQ(files.load_hard_state(), (DLedgerHardState{2, ""}));
}

TEST(DLedgerMemberStateFile, ReadsWhatJavaPropertiesWouldRead) {
  EXPECT_EQ(decode_currterm("#written by hand\ncurrTerm = 12\nvoteLeader:n2\n"), (DLedgerHardState{12, "n2"}));
  EXPECT_EQ(decode_currterm("currTerm=5\n"), (DLedgerHardState{5, ""}));  // no voteLeader: no vote
  EXPECT_FALSE(decode_currterm("voteLeader=n1\n").has_value());
  EXPECT_FALSE(decode_currterm("currTerm=5x\n").has_value());
  EXPECT_FALSE(decode_currterm("currTerm=-1\n").has_value());
  EXPECT_FALSE(decode_currterm("").has_value());
  // JDK 9+ writes the checkpoint keys the other way round; committedIndex is trimmed upstream.
  EXPECT_EQ(decode_checkpoint("committedIndex=7 \nendIndex=10\n"), (DLedgerCheckpoint{10, 7}));
  EXPECT_EQ(decode_checkpoint("committedIndex=-1\n"), (DLedgerCheckpoint{-1, -1}));
  EXPECT_FALSE(decode_checkpoint("endIndex=3\n").has_value());
}

TEST(DLedgerMemberStateFile, RejectsIdsTheUnescapedWriterCannotRoundTrip) {
  EXPECT_THROW(encode_currterm({1, "n 1"}), std::invalid_argument);
  EXPECT_THROW(encode_currterm({1, "a\\b"}), std::invalid_argument);
  EXPECT_THROW(encode_currterm({1, "a\nb"}), std::invalid_argument);
  EXPECT_THROW(encode_currterm({-1, "n1"}), std::invalid_argument);
}

TEST(DLedgerMemberStateFile, FallsBackToBak) {
  FaultFs fs;
  fs.create_dir("/d");
  DLedgerMemberStateFile files(fs, "/d");
  put(fs, "/d/currterm.bak", "voteLeader=n1\ncurrTerm=4\n");
  // What upstream's delete-then-rename leaves after a crash between the two: no currterm at all.
  EXPECT_EQ(files.load_hard_state(), (DLedgerHardState{4, "n1"}));
  put(fs, "/d/currterm", "");  // a Java writer without fsync, after a machine crash
  EXPECT_EQ(files.load_hard_state(), (DLedgerHardState{4, "n1"}));
  put(fs, "/d/currterm", "voteLeader=n1\ncurr");  // torn
  EXPECT_EQ(files.load_hard_state(), (DLedgerHardState{4, "n1"}));
  put(fs, "/d/currterm.bak", "garbage");
  EXPECT_THROW(files.load_hard_state(), DLedgerCorruption);
  // A lost checkpoint is no error: it only speeds up a restart.
  put(fs, "/d/checkpoint", "garbage");
  EXPECT_FALSE(files.load_checkpoint().has_value());
}

// Crash at every operation of a save, in every crash mode: the hard state read back is the old one or the
// new one, and the new one once save returned.
TEST(DLedgerMemberStateFile, CrashAtEveryStepOfASave) {
  for (CrashMode mode : {CrashMode::kDropUnsynced, CrashMode::kKeepSomeUnsynced, CrashMode::kTearUnsynced}) {
    for (int has_old = 0; has_old < 2; ++has_old) {
      for (std::uint64_t n = 1;; ++n) {
        SCOPED_TRACE(std::string(testing::to_string(mode)) + " old=" + std::to_string(has_old) +
                     " crash at op " + std::to_string(n));
        FaultFs fs;
        fs.create_dir("/d");
        fs.sync_dir("/");
        DLedgerMemberStateFile files(fs, "/d");
        const DLedgerHardState old_state{5, "n1"};
        const DLedgerHardState new_state{6, "n2"};
        if (has_old) {
          files.save_hard_state({4, "n0"});
          files.save_hard_state(old_state);
        }
        fs.inject(FaultKind::kCrash, fs.op_count() + n);
        bool completed = false;
        try {
          files.save_hard_state(new_state);
          completed = true;
        } catch (const testing::SimulatedCrash&) {
        }
        fs.clear_injection();
        fs.crash(mode, n * 7919 + static_cast<std::uint64_t>(has_old));
        const auto loaded = DLedgerMemberStateFile(fs, "/d").load_hard_state();
        if (completed) {
          EXPECT_EQ(loaded, new_state);
          break;  // n is past the last operation of a save
        }
        if (has_old) {
          ASSERT_TRUE(loaded.has_value());
          EXPECT_TRUE(*loaded == old_state || *loaded == new_state) << loaded->current_term;
        } else {
          EXPECT_TRUE(!loaded || *loaded == new_state);
        }
      }
    }
  }
}

}  // namespace
}  // namespace rmq::store
