// Helpers shared by the libFuzzer targets in this folder (see tests/fuzz/CMakeLists.txt, tools/run-fuzz.sh).
//
// A target checks properties, not just "no crash": FUZZ_CHECK prints the failed condition with its file and
// line and aborts, which libFuzzer reports as a crash and saves the input (crash-<sha1>) for replay:
//   build-fuzz/tests/fuzz/<target> crash-<sha1>
// Loaders that read files get the input through ScratchFile: one private directory per process, removed at
// exit, so parallel runs never share a file.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "broker/common/bytes.h"

#define FUZZ_CHECK(cond)                                                                        \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

namespace rmq::fuzz {

inline common::ByteSpan as_span(const std::uint8_t* data, std::size_t size) { return {data, size}; }
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}
// A copy in its own heap block of exactly `size` bytes, so that ASan catches a read one past the end even
// when the caller's buffer is larger.
inline common::Bytes exact_copy(common::ByteSpan bytes) { return common::Bytes(bytes.begin(), bytes.end()); }

// A per-process scratch directory holding one file whose content each run replaces.
//
// write() runs once per input, so it avoids what would cost more than the parser it feeds under ASan: the
// directory stays open (rewinddir re-reads it; std::filesystem::directory_iterator allocated a fresh 32 KB
// buffer per call) and the file is written with plain POSIX calls (std::ofstream allocated its buffer per
// call). Each fresh ASan allocation of that size is new pages and page faults: together about a third of the
// journal target's time per input.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& file_name) {
    // /dev/shm when there is one: loaders fsync what they write, which costs nothing on tmpfs.
    std::error_code ec;
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path();
    std::string pattern = (base / "rmq-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    path_ = dir_ / file_name;
    dir_stream_ = ::opendir(dir_.c_str());
    if (dir_stream_ == nullptr) std::abort();
  }
  ~ScratchFile() {
    ::closedir(dir_stream_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Replaces the file's content and removes everything else in the directory (leftovers such as .bak/.tmp
  // that a loader may look at), so each input starts from the same state.
  const std::filesystem::path& write(std::string_view content) {
    ::rewinddir(dir_stream_);
    const int dir_fd = ::dirfd(dir_stream_);
    while (const dirent* entry = ::readdir(dir_stream_)) {
      const std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      if (::unlinkat(dir_fd, entry->d_name, 0) != 0) {
        std::error_code ignored;  // a directory a loader made (none does today): the slow path
        std::filesystem::remove_all(dir_ / entry->d_name, ignored);
      }
    }
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) std::abort();
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) std::abort();
    return path_;
  }
  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
  DIR* dir_stream_ = nullptr;
};

}  // namespace rmq::fuzz
