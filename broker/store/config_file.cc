#include "broker/store/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "broker/common/io_error.h"

namespace rmq::store {
namespace {

using common::IoError;
using common::errno_message;

void write_all_and_sync(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("write config " + errno_message(path, errno));
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      throw IoError("write config " + errno_message(path, error));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    throw IoError("fsync config " + errno_message(path, error));
  }
  if (::close(fd) != 0) throw IoError("close config " + errno_message(path, errno));
}

std::mutex& path_mutex(const std::string& path) {
  static std::mutex table_mutex;
  static std::map<std::string, std::unique_ptr<std::mutex>> table;
  std::lock_guard lock(table_mutex);
  auto& slot = table[path];
  if (!slot) slot = std::make_unique<std::mutex>();
  return *slot;
}

// nullopt when the file does not exist.
std::optional<std::string> read_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw IoError("read config " + errno_message(path, errno));
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      throw IoError("read config " + errno_message(path, error));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

void sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError("open config directory " + errno_message(dir, errno));
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) throw IoError("fsync config directory " + errno_message(dir, error));
}

}  // namespace

void write_config_file(const std::string& path, std::string_view text) {
  // Writers of the same file share `<file>.tmp`: one at a time per path in this process.
  std::lock_guard path_lock(path_mutex(path));
  std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw IoError("create config directory " + dir.string() + ": " + error.message());

  const std::string tmp = path + ".tmp";
  write_all_and_sync(tmp, text);
  if (auto old = read_whole(path)) write_all_and_sync(path + ".bak", *old);
  // Java deletes <file> before the rename; rename(2) replaces it atomically, so we skip the delete and never
  // leave a moment without <file>.
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw IoError("rename " + tmp + " to " + errno_message(path, errno));
  sync_dir(dir);
}

std::optional<std::string> read_config_file(const std::string& path,
                                            const std::function<bool(std::string_view)>& parses) {
  for (const std::string& candidate : {path, path + ".bak"}) {
    auto text = read_whole(candidate);
    if (!text || text->empty()) continue;
    if (parses && !parses(*text)) continue;
    return text;
  }
  return std::nullopt;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Quotes fastjson's unquoted integer object keys; `inserted` gets the original offsets where a key was quoted.
std::string quote_integer_keys(std::string_view text, std::vector<std::size_t>& inserted) {
  std::string out;
  out.reserve(text.size() + 16);
  std::vector<char> stack;
  bool expect_key = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"') {
      const std::size_t start = i++;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, text.size());
      out.append(text.substr(start, i - start));
      expect_key = false;
      continue;
    }
    if (expect_key && (c == '-' || (c >= '0' && c <= '9'))) {
      const std::size_t start = i;
      if (c == '-') ++i;
      const std::size_t digits_start = i;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
      if (i == digits_start) throw std::invalid_argument("bad object key '-' at offset " + std::to_string(start));
      inserted.push_back(start);
      out.push_back('"');
      out.append(text.substr(start, i - start));
      out.push_back('"');
      expect_key = false;
      continue;
    }
    if (c == '{') {
      stack.push_back('{');
      expect_key = true;
    } else if (c == '[') {
      stack.push_back('[');
      expect_key = false;
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
      expect_key = false;
    } else if (c == ',') {
      expect_key = !stack.empty() && stack.back() == '{';
    } else if (!is_space(c)) {
      expect_key = false;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

}  // namespace

nlohmann::json parse_fastjson(std::string_view text) {
  std::vector<std::size_t> inserted;
  const std::string quoted = quote_integer_keys(text, inserted);
  try {
    return nlohmann::json::parse(quoted);
  } catch (const nlohmann::json::parse_error& error) {
    // error.byte is 1-based in the quoted text; every quoted key before it added two bytes.
    std::size_t at = error.byte > 0 ? error.byte - 1 : 0;
    std::size_t shift = 0;
    for (std::size_t k = 0; k < inserted.size() && inserted[k] + shift + 2 * k <= at; ++k) shift += 2;
    at = at >= shift ? at - shift : 0;
    std::string what = error.what();
    if (const auto colon = what.rfind(": "); colon != std::string::npos) what = what.substr(colon + 2);
    throw std::invalid_argument("bad JSON at offset " + std::to_string(std::min(at, text.size())) + ": " + what);
  }
}

namespace {

void write_value(const nlohmann::json& value, std::vector<std::string>& path, int indent,
                 const std::function<bool(const std::vector<std::string>&)>& unquoted_keys, std::string& out);

void write_tabs(int count, std::string& out) { out.append(static_cast<std::size_t>(count), '\t'); }

std::int64_t integer_key(const std::string& key, const std::vector<std::string>& path) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), value);
  if (key.empty() || error != std::errc() || end != key.data() + key.size()) {
    std::string where;
    for (const auto& part : path) where += "/" + part;
    throw std::invalid_argument("dump_fastjson: key '" + key + "' of object " + (where.empty() ? "/" : where) +
                                " must be an integer to be written unquoted");
  }
  return value;
}

void write_object(const nlohmann::json& value, std::vector<std::string>& path, int indent,
                  const std::function<bool(const std::vector<std::string>&)>& unquoted_keys, std::string& out) {
  if (value.empty()) {
    out += "{}";
    return;
  }
  const bool unquoted = unquoted_keys && unquoted_keys(path);
  std::vector<std::string> keys;
  for (auto it = value.begin(); it != value.end(); ++it) keys.push_back(it.key());
  if (unquoted) {
    std::vector<std::pair<std::int64_t, std::string>> numbered;
    for (const auto& key : keys) numbered.emplace_back(integer_key(key, path), key);
    std::sort(numbered.begin(), numbered.end());
    keys.clear();
    for (auto& entry : numbered) keys.push_back(std::move(entry.second));
  }
  out.push_back('{');
  bool first = true;
  for (const auto& key : keys) {
    if (!first) out.push_back(',');
    first = false;
    if (unquoted) {
      // fastjson's MapSerializer starts a new line only before String keys.
      out += key;
    } else {
      out.push_back('\n');
      write_tabs(indent + 1, out);
      out += nlohmann::json(key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    out.push_back(':');
    path.push_back(key);
    write_value(value.at(key), path, indent + 1, unquoted_keys, out);
    path.pop_back();
  }
  out.push_back('\n');
  write_tabs(indent, out);
  out.push_back('}');
}

void write_value(const nlohmann::json& value, std::vector<std::string>& path, int indent,
                 const std::function<bool(const std::vector<std::string>&)>& unquoted_keys, std::string& out) {
  if (value.is_object()) {
    write_object(value, path, indent, unquoted_keys, out);
  } else if (value.is_array()) {
    if (value.empty()) {
      out += "[]";
      return;
    }
    out.push_back('[');
    bool first = true;
    std::size_t index = 0;
    for (const auto& element : value) {
      if (!first) out.push_back(',');
      first = false;
      out.push_back('\n');
      write_tabs(indent + 1, out);
      path.push_back(std::to_string(index++));
      write_value(element, path, indent + 1, unquoted_keys, out);
      path.pop_back();
    }
    out.push_back('\n');
    write_tabs(indent, out);
    out.push_back(']');
  } else {
    out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace

std::string dump_fastjson(const nlohmann::json& value,
                          const std::function<bool(const std::vector<std::string>& key_path)>& unquoted_keys) {
  std::string out;
  std::vector<std::string> path;
  write_value(value, path, 0, unquoted_keys, out);
  return out;
}

std::optional<nlohmann::json> load_config_object(const std::string& path) {
  const auto parses_as_object = [](std::string_view text) {
    try {
      return parse_fastjson(text).is_object();
    } catch (const std::exception&) {
      return false;
    }
  };
  const auto text = read_config_file(path, parses_as_object);
  if (text) return parse_fastjson(*text);
  std::error_code ec;
  for (const auto& candidate : {path, path + ".bak"}) {
    if (std::filesystem::exists(candidate, ec) && std::filesystem::file_size(candidate, ec) > 0) {
      throw std::runtime_error(path + ": not valid JSON, and no usable .bak");
    }
  }
  return std::nullopt;
}

}  // namespace rmq::store
