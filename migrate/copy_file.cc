#include "migrate/copy_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <set>
#include <system_error>
#include <vector>

#include "broker/common/file_system_posix.h"
#include "broker/common/mapped_file.h"
#include "broker/common/unique_fd.h"
#include "migrate/copy_extents.h"

namespace rmq::migrate {

namespace fs = std::filesystem;
using common::errno_message;
using common::IoError;

namespace {

constexpr const char* kTempSuffix = ".rmqctl-tmp";
// One copy_file_range call moves at most this much, so progress and the half-way hook advance within a file.
constexpr std::uint64_t kChunkBytes = 64ull * 1024 * 1024;
constexpr std::size_t kFallbackBufferBytes = 4 * 1024 * 1024;

using Fd = common::UniqueFd;

std::uint64_t file_size_of(int fd, const fs::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw IoError(errno_message(path, errno));
  if (!S_ISREG(st.st_mode)) throw IoError(path.string() + ": not a regular file");
  return static_cast<std::uint64_t>(st.st_size);
}

// Starts writing [offset, offset+length) back to disk without waiting, so the disk works while the copy
// goes on and the final fdatasync has little left to wait for. Errors are ignored here: any real write
// error is reported by fdatasync.
void start_writeback(int fd, std::uint64_t offset, std::uint64_t length) {
  ::sync_file_range(fd, static_cast<off64_t>(offset), static_cast<off64_t>(length), SYNC_FILE_RANGE_WRITE);
}

// Copies [offset, offset+length) with pread/pwrite.
void copy_range_fallback(int in, int out, std::uint64_t offset, std::uint64_t length, const fs::path& from,
                         const fs::path& temp, std::vector<std::uint8_t>& buffer,
                         const std::function<void(std::uint64_t)>& advanced) {
  if (buffer.empty()) buffer.resize(kFallbackBufferBytes);
  while (length > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size()));
    const ssize_t n = ::pread(in, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(errno_message(from, errno));
    }
    if (n == 0) throw IoError(from.string() + ": the file shrank while it was copied (is a broker still running?)");
    std::size_t written = 0;
    while (written < static_cast<std::size_t>(n)) {
      const ssize_t w = ::pwrite(out, buffer.data() + written, static_cast<std::size_t>(n) - written,
                                 static_cast<off_t>(offset + written));
      if (w < 0) {
        if (errno == EINTR) continue;
        throw IoError(errno_message(temp, errno));
      }
      written += static_cast<std::size_t>(w);
    }
    start_writeback(out, offset, static_cast<std::uint64_t>(n));
    offset += static_cast<std::uint64_t>(n);
    length -= static_cast<std::uint64_t>(n);
    advanced(static_cast<std::uint64_t>(n));
  }
}

bool kernel_refuses_copy_file_range(int err) {
  return err == EXDEV || err == ENOSYS || err == EOPNOTSUPP || err == EINVAL || err == ETXTBSY;
}

}  // namespace

fs::path temp_path_for(const fs::path& final_path) {
  return final_path.parent_path() / ("." + final_path.filename().string() + kTempSuffix);
}

bool is_temp_file_name(const std::string& name) {
  const std::string suffix = kTempSuffix;
  return name.size() > suffix.size() + 1 && name[0] == '.' &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void sync_directory(const fs::path& dir) { common::PosixFileSystem().sync_dir(dir); }

CopyFileResult copy_file_durably(const fs::path& from, const fs::path& to, std::uint64_t expected_size_bytes,
                                 const CopyFileOptions& options) {
  CopyFileResult result;
  const int in_fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in_fd < 0) throw IoError(errno_message(from, errno));
  Fd in(in_fd);
  const std::uint64_t size = file_size_of(in.get(), from);
  if (size != expected_size_bytes) {
    throw IoError(from.string() + ": " + std::to_string(size) + " bytes, but the plan recorded " +
                  std::to_string(expected_size_bytes) + ": the source changed (is a broker still running?)");
  }
  struct stat source_stat {};
  if (::fstat(in.get(), &source_stat) != 0) throw IoError(errno_message(from, errno));
  ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

  const fs::path temp = temp_path_for(to);
  const int out_fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, source_stat.st_mode & 0777);
  if (out_fd < 0) throw IoError(errno_message(temp, errno));
  Fd out(out_fd);
  try {
    bool half_reported = !options.after_half_written;
    std::uint64_t done = 0;
    auto advanced = [&](std::uint64_t n) {
      done += n;
      result.copied_bytes += n;
      if (options.progress_bytes != nullptr) options.progress_bytes->fetch_add(n);
      if (!half_reported && done * 2 >= size) {
        half_reported = true;
        options.after_half_written();
      }
    };
    bool kernel_copy = true;
    std::vector<std::uint8_t> buffer;
    for (const auto& [begin, end] : data_extents(in.get(), size, from)) {
      std::uint64_t pos = begin;
      while (pos < end && kernel_copy) {
        loff_t in_off = static_cast<loff_t>(pos);
        loff_t out_off = static_cast<loff_t>(pos);
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(end - pos, kChunkBytes));
        const ssize_t n = ::copy_file_range(in.get(), &in_off, out.get(), &out_off, want, 0);
        if (n < 0) {
          const int err = errno;
          if (err == EINTR) continue;
          if (kernel_refuses_copy_file_range(err)) {
            kernel_copy = false;
            break;
          }
          // ENOSPC, EFBIG, EIO and the like are about the destination; EBADF/EISDIR cannot happen here.
          throw IoError(errno_message(temp, err));
        }
        if (n == 0) throw IoError(from.string() + ": the file shrank while it was copied (is a broker still running?)");
        result.used_copy_file_range = true;
        start_writeback(out.get(), pos, static_cast<std::uint64_t>(n));
        pos += static_cast<std::uint64_t>(n);
        advanced(static_cast<std::uint64_t>(n));
      }
      if (pos < end) copy_range_fallback(in.get(), out.get(), pos, end - pos, from, temp, buffer, advanced);
    }
    // Extends over a trailing hole (and covers a source that is all hole).
    if (::ftruncate(out.get(), static_cast<off_t>(size)) != 0) throw IoError(errno_message(temp, errno));
    if (file_size_of(in.get(), from) != size) {
      throw IoError(from.string() + ": the file changed size while it was copied (is a broker still running?)");
    }
    if (!half_reported) options.after_half_written();
    if (::fdatasync(out.get()) != 0) throw IoError(errno_message(temp, errno));
    out.close_checked(temp);
    if (::rename(temp.c_str(), to.c_str()) != 0) throw IoError(errno_message(to, errno));
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  sync_directory(to.parent_path());
  if (options.after_rename) options.after_rename();
  result.size_bytes = size;
  return result;
}

std::size_t remove_stale_temp_files(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return 0;
  std::size_t removed = 0;
  std::set<fs::path> changed_dirs;
  for (fs::recursive_directory_iterator it(root, ec), end; it != end; it.increment(ec)) {
    if (ec) throw IoError(root.string() + ": " + ec.message());
    if (!it->is_regular_file(ec) || !is_temp_file_name(it->path().filename().string())) continue;
    if (::unlink(it->path().c_str()) != 0 && errno != ENOENT) throw IoError(errno_message(it->path(), errno));
    changed_dirs.insert(it->path().parent_path());
    ++removed;
  }
  if (ec) throw IoError(root.string() + ": " + ec.message());
  for (const auto& dir : changed_dirs) sync_directory(dir);
  return removed;
}

}  // namespace rmq::migrate
