// write_gen_conf on a real directory: creates the output directory and the files, leaves identical files
// alone, refuses (writing nothing) when a file differs unless forced, and leaves no temporary file behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "broker/common/file_system_posix.h"
#include "migrate/gen_conf.h"
#include "tests/unit/migrate/gen_conf_test_util.h"
#include "tests/unit/store/temp_dir.h"

namespace rmq::migrate {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class GenConfWriteTest : public ::testing::Test {
 protected:
  GenConfPlan plan() const {
    GenConfOptions options = gen_conf_testing::guide_options();
    options.out_dir = out_;
    return plan_gen_conf(options);
  }

  rmq::testing::TempDir dir_;
  fs::path out_ = dir_.path() / "conf" / "dledger";
  common::PosixFileSystem fs_;
};

TEST_F(GenConfWriteTest, CreatesDirectoryAndFiles) {
  const GenConfPlan p = plan();
  EXPECT_THAT(write_gen_conf(fs_, p, false),
              ElementsAre(WriteStatus::kCreated, WriteStatus::kCreated, WriteStatus::kCreated));
  EXPECT_THAT(names_in(out_), ElementsAre("broker-n0.conf", "broker-n1.conf", "broker-n2.conf"));
  for (const PlannedConf& file : p.files) EXPECT_EQ(read_text(file.path), file.text);
}

TEST_F(GenConfWriteTest, IdenticalFilesAreLeftAlone) {
  const GenConfPlan p = plan();
  write_gen_conf(fs_, p, false);
  const auto modified_before = fs::last_write_time(p.files[0].path);
  EXPECT_THAT(write_gen_conf(fs_, p, false),
              ElementsAre(WriteStatus::kUnchanged, WriteStatus::kUnchanged, WriteStatus::kUnchanged));
  EXPECT_EQ(fs::last_write_time(p.files[0].path), modified_before);
}

TEST_F(GenConfWriteTest, DifferingFileIsRefusedAndNothingIsWritten) {
  const GenConfPlan p = plan();
  fs::create_directories(out_);
  write_text(out_ / "broker-n1.conf", "brokerName=someone-else\n");
  try {
    write_gen_conf(fs_, p, false);
    ADD_FAILURE() << "no conflict";
  } catch (const ConflictError& e) {
    EXPECT_THAT(e.paths(), ElementsAre(out_ / "broker-n1.conf"));
    EXPECT_THAT(e.what(), HasSubstr("broker-n1.conf exists with different content; pass --force to overwrite"));
  }
  EXPECT_THAT(names_in(out_), ElementsAre("broker-n1.conf"));
  EXPECT_EQ(read_text(out_ / "broker-n1.conf"), "brokerName=someone-else\n");
}

TEST_F(GenConfWriteTest, ConflictingFilesAreListed) {
  const GenConfPlan p = plan();
  fs::create_directories(out_);
  write_text(out_ / "broker-n0.conf", "x=1\n");
  write_text(out_ / "broker-n2.conf", "x=2\n");
  EXPECT_THAT(conflicting_files(fs_, p), ElementsAre(out_ / "broker-n0.conf", out_ / "broker-n2.conf"));
}

TEST_F(GenConfWriteTest, ForceReplacesDifferingFile) {
  const GenConfPlan p = plan();
  write_gen_conf(fs_, p, false);
  write_text(p.files[2].path, "brokerName=someone-else\n");
  EXPECT_THAT(write_gen_conf(fs_, p, true),
              ElementsAre(WriteStatus::kUnchanged, WriteStatus::kUnchanged, WriteStatus::kReplaced));
  EXPECT_EQ(read_text(p.files[2].path), p.files[2].text);
}

TEST_F(GenConfWriteTest, NoTemporaryFileRemains) {
  const GenConfPlan p = plan();
  write_gen_conf(fs_, p, false);
  write_text(p.files[0].path, "old\n");
  write_gen_conf(fs_, p, true);
  EXPECT_THAT(names_in(out_), ElementsAre("broker-n0.conf", "broker-n1.conf", "broker-n2.conf"));
}

TEST_F(GenConfWriteTest, WriteFileAtomicallyReplacesContent) {
  fs::create_directories(out_);
  const fs::path path = out_ / "x.conf";
  write_text(path, "a long old content that is longer than the new one\n");
  write_file_atomically(fs_, path, "new\n");
  EXPECT_EQ(read_text(path), "new\n");
  EXPECT_THAT(names_in(out_), ElementsAre("x.conf"));
}

TEST_F(GenConfWriteTest, ClassifyExisting) {
  fs::create_directories(out_);
  const fs::path path = out_ / "x.conf";
  EXPECT_EQ(classify_existing(fs_, path, "a\n"), WriteStatus::kCreated);
  write_text(path, "a\n");
  EXPECT_EQ(classify_existing(fs_, path, "a\n"), WriteStatus::kUnchanged);
  EXPECT_EQ(classify_existing(fs_, path, "a"), WriteStatus::kReplaced);
}

TEST_F(GenConfWriteTest, UnwritableDirectoryIsAnIoError) {
  const fs::path blocker = dir_.path() / "file";
  write_text(blocker, "not a directory\n");
  GenConfOptions options = gen_conf_testing::guide_options();
  options.out_dir = blocker / "dledger";
  EXPECT_THROW(write_gen_conf(fs_, plan_gen_conf(options), false), common::IoError);
}

}  // namespace
}  // namespace rmq::migrate
