// Helpers shared by the libFuzzer targets in this folder (see tests/fuzz/CMakeLists.txt, tools/run-fuzz.sh).
//
// A target checks properties, not just "no crash": FUZZ_CHECK prints the failed condition with its file and
// line and aborts, which libFuzzer reports as a crash and saves the input (crash-<sha1>) for replay:
//   build-fuzz/tests/fuzz/<target> crash-<sha1>
// Loaders that read files get the input through ScratchFile: one private directory per process, removed at
// exit, so parallel runs never share a file.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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
  }
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Replaces the file's content (and removes leftovers such as .bak/.tmp that a loader may look at).
  const std::filesystem::path& write(std::string_view content) {
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ignored)) {
      std::filesystem::remove_all(entry.path(), ignored);
    }
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) std::abort();
    return path_;
  }
  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path path_;
};

}  // namespace rmq::fuzz
