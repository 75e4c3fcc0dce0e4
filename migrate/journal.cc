#include "migrate/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <string>

#include "broker/common/mapped_file.h"
#include "migrate/copy_file.h"

namespace rmq::migrate {

namespace fs = std::filesystem;
using common::errno_message;
using common::IoError;

namespace {

// A journal records one record per file copied to each node; even a store of a million consume-queue files
// stays far below this. Anything larger is not our journal.
constexpr std::uint64_t kMaxJournalBytes = 1024ull * 1024 * 1024;

std::string read_all(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(errno_message(path, errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw IoError(errno_message(path, err));
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxJournalBytes) {
    ::close(fd);
    throw JournalError(path.string() + ": " + std::to_string(st.st_size) + " bytes, too large for a migration journal");
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw IoError(errno_message(path, err));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(done);
  return text;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm {};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_all(int fd, const std::string& text, const fs::path& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(errno_message(path, errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

struct ParsedJournal {
  JournalContents contents;
  std::size_t valid_bytes = 0;  // the prefix that holds contents.records; the rest is a torn tail
};

// Splits the text into records. A last line that is incomplete or does not parse is a torn tail; any other
// line that does not parse is damage.
ParsedJournal parse_journal_text(const std::string& text, const fs::path& path) {
  ParsedJournal parsed;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t newline = text.find('\n', pos);
    const bool last = newline == std::string::npos || newline + 1 == text.size();
    const std::size_t end = newline == std::string::npos ? text.size() : newline;
    ++line_number;
    nlohmann::json record = nlohmann::json::parse(text.begin() + static_cast<std::ptrdiff_t>(pos),
                                                  text.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
    const bool valid = newline != std::string::npos && !record.is_discarded() && record.is_object() &&
                       record.contains("type") && record["type"].is_string();
    if (!valid) {
      if (last) {
        parsed.contents.had_torn_tail = true;
        break;
      }
      throw JournalError(path.string() + ":" + std::to_string(line_number) +
                         ": not a migration journal record (damaged, or not rmqctl's file)");
    }
    parsed.contents.records.push_back(std::move(record));
    pos = newline + 1;
    parsed.valid_bytes = pos;
  }
  return parsed;
}

}  // namespace

std::optional<JournalContents> read_journal(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  ParsedJournal parsed = parse_journal_text(read_all(path), path);
  if (parsed.contents.records.empty()) {
    throw JournalError(path.string() + ": holds no complete record (a crash while it was created?); remove it "
                       "and the target directories, then run again");
  }
  return std::move(parsed.contents);
}

JournalWriter::JournalWriter(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<JournalWriter> JournalWriter::create(const fs::path& path, const nlohmann::json& first) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(errno_message(path, errno));
  std::unique_ptr<JournalWriter> writer(new JournalWriter(path, fd));
  writer->append(first);
  sync_directory(path.parent_path().empty() ? fs::path(".") : path.parent_path());
  return writer;
}

std::unique_ptr<JournalWriter> JournalWriter::open_existing(const fs::path& path) {
  const std::string text = read_all(path);
  const std::size_t intact = parse_journal_text(text, path).valid_bytes;
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) throw IoError(errno_message(path, errno));
  std::unique_ptr<JournalWriter> writer(new JournalWriter(path, fd));
  if (intact != text.size()) {
    if (::ftruncate(fd, static_cast<off_t>(intact)) != 0 || ::fdatasync(fd) != 0) {
      throw IoError(errno_message(path, errno));
    }
  }
  return writer;
}

void JournalWriter::append(nlohmann::json record, Durability durability) {
  if (!record.contains("at")) record["at"] = utc_now_iso8601();
  const std::string line = record.dump() + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  write_all(fd_, line, path_);
  unsynced_ = true;
  constexpr auto kMaxUnsyncedAge = std::chrono::seconds(1);
  if (durability == Durability::kNow || std::chrono::steady_clock::now() - last_sync_ >= kMaxUnsyncedAge) {
    sync_locked();
  }
}

void JournalWriter::sync() {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_locked();
}

void JournalWriter::sync_locked() {
  if (!unsynced_) return;
  if (::fdatasync(fd_) != 0) throw IoError(errno_message(path_, errno));
  unsynced_ = false;
  last_sync_ = std::chrono::steady_clock::now();
}

}  // namespace rmq::migrate
