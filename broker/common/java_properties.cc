// java.util.Properties.load and .store, byte for byte where it matters (java_properties.h says why).
//
// Parsing follows the JDK's two stages: a LineReader joins natural lines into logical lines (continuations,
// comments, blank lines), then each logical line is split into key and value and unescaped. Keeping the
// stages apart is what makes the JDK's corner cases come out the same: a '#' at the start of a continuation
// line is data, a backslash at the end of a comment line continues nothing, a blank continuation line ends the
// logical line.
//
// Bytes are passed through: UTF-8 in the file stays UTF-8 in the values, and \uXXXX escapes are converted to
// UTF-8 (surrogate pairs combined). The JDK reads an InputStream as ISO-8859-1; for the ASCII that broker
// configs are made of the two agree.
#include "broker/common/java_properties.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace rmq::common {
namespace {

bool is_line_space(char c) { return c == ' ' || c == '\t' || c == '\f'; }
bool is_line_end(char c) { return c == '\n' || c == '\r'; }

// One logical line: the joined text (continuation backslashes and line ends removed) and, for error
// messages, the physical line each joined piece came from.
struct LogicalLine {
  std::string text;
  std::vector<std::pair<std::size_t, int>> pieces;  // (offset in text, physical line number), ascending

  int first_line() const { return pieces.front().second; }
  int line_at(std::size_t offset) const {
    int line = pieces.front().second;
    for (const auto& [piece_offset, piece_line] : pieces) {
      if (piece_offset > offset) break;
      line = piece_line;
    }
    return line;
  }
};

// The JDK's Properties.LineReader (as of JDK 9) over an in-memory text, with physical line numbers. It is a
// transliteration of the JDK's state machine rather than a cleaner loop because the corner cases live in its
// details: a logical line that is empty when a line end arrives is dropped, so a lone backslash followed by a
// blank line yields nothing, while a lone backslash at the very end of the text yields an empty key; '#' is
// a comment wherever the logical line is still empty, even after a continuation.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  // Fills `line` with the next logical line; false at the end of the text.
  bool next(LogicalLine& line) {
    line.text.clear();
    line.pieces.clear();
    bool skip_white_space = true;
    bool appended_line_begin = false;
    bool preceding_backslash = false;
    while (true) {
      if (pos_ >= text_.size()) {
        if (line.text.empty()) return false;
        return finish(line, preceding_backslash);
      }
      const char c = text_[pos_++];
      if (skip_white_space) {
        if (is_line_space(c)) continue;
        if (!appended_line_begin && is_line_end(c)) {  // blank line
          end_line(c);
          continue;
        }
        skip_white_space = false;
        appended_line_begin = false;
      }
      if (line.text.empty() && (c == '#' || c == '!')) {  // comment: a trailing backslash continues nothing
        while (pos_ < text_.size() && !is_line_end(text_[pos_])) ++pos_;
        if (pos_ >= text_.size()) return false;
        end_line(text_[pos_++]);
        skip_white_space = true;
        continue;
      }
      if (!is_line_end(c)) {
        if (line.text.empty()) line.pieces.clear();  // a dropped continuation leaves no trace
        if (line.pieces.empty() || line.pieces.back().second != line_number_) {
          line.pieces.emplace_back(line.text.size(), line_number_);
        }
        line.text.push_back(c);
        preceding_backslash = (c == '\\') ? !preceding_backslash : false;
        continue;
      }
      const bool text_ended = pos_ >= text_.size();  // as the JDK sees it: before the '\n' of "\r\n"
      end_line(c);
      if (line.text.empty()) {  // nothing but a continuation so far: drop it like a blank line
        skip_white_space = true;
        continue;
      }
      if (text_ended || !preceding_backslash) return finish(line, preceding_backslash);
      line.text.pop_back();  // the continuation backslash is not part of the line
      preceding_backslash = false;
      skip_white_space = true;  // leading whitespace of the continuation line is dropped
      appended_line_begin = true;
    }
  }

 private:
  static bool finish(LogicalLine& line, bool preceding_backslash) {
    if (preceding_backslash) line.text.pop_back();  // a backslash at the very end of the text is dropped
    return true;
  }

  // Counts the line end `c` just read; "\r\n" is one line end.
  void end_line(char c) {
    if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_number_;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_number_ = 1;
};

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_high_surrogate(std::uint32_t unit) { return unit >= 0xD800 && unit <= 0xDBFF; }
bool is_low_surrogate(std::uint32_t unit) { return unit >= 0xDC00 && unit <= 0xDFFF; }

// Unescapes one key or value (the JDK's loadConvert), reporting errors against the logical line.
class Unescaper {
 public:
  Unescaper(const LogicalLine& line, const std::string& source_name) : line_(line), source_name_(source_name) {}

  std::string convert(std::size_t begin, std::size_t end) const {
    const std::string& text = line_.text;
    std::string out;
    out.reserve(end - begin);
    std::size_t i = begin;
    while (i < end) {
      const char c = text[i];
      if (c != '\\' || i + 1 >= end) {  // a lone trailing backslash cannot survive the LineReader; keep it
        out.push_back(c);
        ++i;
        continue;
      }
      const char escaped = text[i + 1];
      switch (escaped) {
        case 't': out.push_back('\t'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 'f': out.push_back('\f'); break;
        case 'u': i = convert_unicode(i, end, out); continue;
        default: out.push_back(escaped); break;
      }
      i += 2;
    }
    return out;
  }

 private:
  // Reads "\uXXXX" at `at`; returns the code unit, or throws naming the physical line.
  std::uint32_t read_code_unit(std::size_t at, std::size_t end) const {
    const std::string& text = line_.text;
    std::uint32_t unit = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const std::size_t digit_at = at + 2 + k;
      const int digit = digit_at < end ? hex_digit_value(text[digit_at]) : -1;
      if (digit < 0) {
        const std::size_t shown_end = std::min(end, at + 6);
        fail(at, "malformed \\uXXXX escape \"" + text.substr(at, shown_end - at) + "\" (needs 4 hex digits)");
      }
      unit = (unit << 4) | static_cast<std::uint32_t>(digit);
    }
    return unit;
  }

  // Converts the \u escape at `at` (and its low surrogate, when it is a high one); returns the next offset.
  std::size_t convert_unicode(std::size_t at, std::size_t end, std::string& out) const {
    const std::string& text = line_.text;
    const std::uint32_t unit = read_code_unit(at, end);
    if (is_low_surrogate(unit)) fail(at, "unpaired surrogate " + text.substr(at, 6));
    if (!is_high_surrogate(unit)) {
      append_utf8(out, unit);
      return at + 6;
    }
    const std::size_t low_at = at + 6;
    if (low_at + 1 >= end || text[low_at] != '\\' || text[low_at + 1] != 'u') {
      fail(at, "unpaired surrogate " + text.substr(at, 6));
    }
    const std::uint32_t low = read_code_unit(low_at, end);
    if (!is_low_surrogate(low)) fail(at, "unpaired surrogate " + text.substr(at, 6));
    append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
    return low_at + 6;
  }

  [[noreturn]] void fail(std::size_t offset, const std::string& message) const {
    throw ConfigError(source_name_ + ":" + std::to_string(line_.line_at(offset)) + ": " + message);
  }

  const LogicalLine& line_;
  const std::string& source_name_;
};

// The JDK's load0 split: the key ends at the first unescaped '=', ':' or whitespace; whitespace and at most
// one '=' or ':' after it are skipped.
std::pair<std::size_t, std::size_t> split_key_value(const std::string& text) {
  const std::size_t limit = text.size();
  std::size_t key_length = 0;
  std::size_t value_start = limit;
  bool has_separator = false;
  bool preceding_backslash = false;
  while (key_length < limit) {
    const char c = text[key_length];
    if ((c == '=' || c == ':') && !preceding_backslash) {
      value_start = key_length + 1;
      has_separator = true;
      break;
    }
    if (is_line_space(c) && !preceding_backslash) {
      value_start = key_length + 1;
      break;
    }
    preceding_backslash = (c == '\\') ? !preceding_backslash : false;
    ++key_length;
  }
  while (value_start < limit) {
    const char c = text[value_start];
    if (!is_line_space(c)) {
      if (has_separator || (c != '=' && c != ':')) break;
      has_separator = true;
    }
    ++value_start;
  }
  return {key_length, value_start};
}

std::string escape(std::string_view text, bool is_key) {
  static constexpr char kHexDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\': out += "\\\\"; break;
      case ' ':
        if (i == 0 || is_key) out.push_back('\\');
        out.push_back(' ');
        break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\f': out += "\\f"; break;
      case '=':
      case ':':
      case '#':
      case '!':
        if (is_key) out.push_back('\\');
        out.push_back(c);
        break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
          out += "\\u00";
          out.push_back(kHexDigits[byte >> 4]);
          out.push_back(kHexDigits[byte & 0xF]);
        } else {
          out.push_back(c);  // printable ASCII, and UTF-8 kept as it is
        }
      }
    }
  }
  return out;
}

}  // namespace

void JavaProperties::set(const std::string& key, const std::string& value) { set_at_line(key, value, 0); }

void JavaProperties::set_at_line(const std::string& key, const std::string& value, int line) {
  const auto [it, inserted] = values_.insert_or_assign(key, value);
  if (inserted) order_.push_back(key);
  lines_[key] = line;
}

std::optional<std::string> JavaProperties::get(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string JavaProperties::get_or(const std::string& key, const std::string& fallback) const {
  const auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

int JavaProperties::line_of(const std::string& key) const {
  const auto it = lines_.find(key);
  return it == lines_.end() ? 0 : it->second;
}

JavaProperties JavaProperties::parse(std::string_view text, const std::string& source_name) {
  JavaProperties properties;
  LineReader reader(text);
  LogicalLine line;
  while (reader.next(line)) {
    const auto [key_length, value_start] = split_key_value(line.text);
    const Unescaper unescaper(line, source_name);
    std::string key = unescaper.convert(0, key_length);
    std::string value = unescaper.convert(value_start, line.text.size());
    properties.set_at_line(key, value, line.first_line());
  }
  return properties;
}

JavaProperties JavaProperties::load(const std::filesystem::path& path) {
  const auto fail = [&path](int error_number) -> ConfigError {
    return ConfigError("cannot read " + path.string() + ": " + std::strerror(error_number));
  };
  // O_NONBLOCK so that opening a FIFO with no writer does not hang; the type is checked right after, on the
  // open descriptor (not the path), so a file swapped in between cannot slip through.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw fail(errno);
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    const int error_number = errno;
    ::close(fd);
    throw fail(error_number);
  }
  if (S_ISDIR(status.st_mode)) {
    ::close(fd);
    throw fail(EISDIR);
  }
  if (!S_ISREG(status.st_mode)) {
    ::close(fd);
    const char* kind = S_ISFIFO(status.st_mode)   ? "a FIFO"
                       : S_ISCHR(status.st_mode)  ? "a character device"
                       : S_ISBLK(status.st_mode)  ? "a block device"
                       : S_ISSOCK(status.st_mode) ? "a socket"
                                                  : "not a regular file";
    throw ConfigError("cannot read " + path.string() + ": " + kind + ", a config must be a regular file");
  }
  const auto too_big = [&path](std::uint64_t size_bytes) -> ConfigError {
    return ConfigError("cannot read " + path.string() + ": " + std::to_string(size_bytes) +
                       " bytes, more than the " + std::to_string(kMaxConfigFileBytes) +
                       " bytes a config file may have");
  };
  if (static_cast<std::uint64_t>(status.st_size) > kMaxConfigFileBytes) {
    ::close(fd);
    throw too_big(static_cast<std::uint64_t>(status.st_size));
  }
  std::string text;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t read_bytes = ::read(fd, buffer, sizeof buffer);
    if (read_bytes == 0) break;
    if (read_bytes < 0) {
      if (errno == EINTR) continue;
      const int error_number = errno;
      ::close(fd);
      throw fail(error_number);
    }
    text.append(buffer, static_cast<std::size_t>(read_bytes));
    if (text.size() > kMaxConfigFileBytes) {  // the file grew after fstat
      ::close(fd);
      throw too_big(text.size());
    }
  }
  ::close(fd);
  return parse(text, path.string());
}

std::string JavaProperties::escape_key(std::string_view key) { return escape(key, /*is_key=*/true); }

std::string JavaProperties::escape_value(std::string_view value) { return escape(value, /*is_key=*/false); }

std::string JavaProperties::to_string() const {
  std::string out;
  for (const std::string& key : order_) {
    out += escape_key(key);
    out.push_back('=');
    out += escape_value(values_.at(key));
    out.push_back('\n');
  }
  return out;
}

}  // namespace rmq::common
