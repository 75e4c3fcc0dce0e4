// The POSIX file layer on a real temporary directory.
#include "broker/common/file_system_posix.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include "tests/unit/store/temp_dir.h"

namespace rmq::common {
namespace {

using ScratchDir = rmq::testing::TempDir;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(PosixFileSystem, WriteReadAppendTruncateSync) {
  ScratchDir dir;
  PosixFileSystem fs;
  const auto path = dir.path() / "f";
  EXPECT_FALSE(fs.exists(path));
  auto f = fs.open(path, OpenMode::kCreate);
  f->write_at(4, bytes_of("tail"));
  f->append(bytes_of("!"));
  EXPECT_EQ(f->size_bytes(), 9u);
  Bytes out(16);
  EXPECT_EQ(f->read_at(0, out), 9u);  // short at the end of the file
  out.resize(9);
  EXPECT_EQ(out, (Bytes{0, 0, 0, 0, 't', 'a', 'i', 'l', '!'}));
  f->truncate(1 << 20);  // grows as a hole
  EXPECT_EQ(fs.file_size(path), 1u << 20);
  Bytes far(4, 0xFF);
  EXPECT_EQ(f->read_at((1 << 20) - 4, far), 4u);
  EXPECT_EQ(far, Bytes(4, 0));
  f->truncate(4);
  EXPECT_EQ(f->size_bytes(), 4u);
  f->sync();
  EXPECT_EQ(f->path(), path);
}

TEST(PosixFileSystem, OpenModes) {
  ScratchDir dir;
  PosixFileSystem fs;
  const auto path = dir.path() / "f";
  EXPECT_THROW(fs.open(path, OpenMode::kReadWrite), IoError);
  fs.open(path, OpenMode::kCreate)->append(bytes_of("abc"));
  EXPECT_EQ(fs.open(path, OpenMode::kCreate)->size_bytes(), 3u);  // kCreate keeps content
  auto ro = fs.open(path, OpenMode::kRead);
  EXPECT_THROW(ro->append(bytes_of("x")), IoError);
  EXPECT_EQ(fs.open(path, OpenMode::kCreateTruncate)->size_bytes(), 0u);
}

TEST(PosixFileSystem, DirectoriesRenameRemove) {
  ScratchDir dir;
  PosixFileSystem fs;
  const auto sub = dir.path() / "a";
  EXPECT_TRUE(fs.create_dir(sub));
  EXPECT_FALSE(fs.create_dir(sub));
  EXPECT_TRUE(fs.is_directory(sub));
  fs.open(sub / "y", OpenMode::kCreate)->append(bytes_of("new"));
  fs.open(sub / "x", OpenMode::kCreate)->append(bytes_of("old"));
  EXPECT_EQ(fs.list_dir(sub), (std::vector<std::string>{"x", "y"}));
  fs.rename(sub / "y", sub / "x");  // replaces
  fs.sync_dir(sub);
  EXPECT_EQ(read_whole_file(fs, sub / "x", 100), bytes_of("new"));
  EXPECT_FALSE(read_whole_file(fs, sub / "y", 100).has_value());
  EXPECT_THROW(read_whole_file(fs, sub / "x", 2), IoError);
  fs.remove_file(sub / "x");
  EXPECT_TRUE(fs.list_dir(sub).empty());
  EXPECT_THROW(fs.remove_file(sub / "x"), IoError);
  EXPECT_THROW(fs.list_dir(dir.path() / "missing"), IoError);
}

TEST(PosixFileSystem, CreateDirsDurably) {
  ScratchDir dir;
  PosixFileSystem fs;
  const auto deep = dir.path() / "a" / "b" / "c";
  create_dirs_durably(fs, deep);
  EXPECT_TRUE(fs.is_directory(deep));
  create_dirs_durably(fs, deep);  // idempotent
  fs.open(dir.path() / "file", OpenMode::kCreate);
  EXPECT_THROW(create_dirs_durably(fs, dir.path() / "file" / "x"), IoError);
}

}  // namespace
}  // namespace rmq::common
