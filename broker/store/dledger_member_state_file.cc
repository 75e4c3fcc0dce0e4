#include "broker/store/dledger_member_state_file.h"

#include <charconv>
#include <stdexcept>

#include "broker/common/java_properties.h"
#include "broker/store/dledger_error.h"

namespace rmq::store {
namespace {

constexpr std::uint64_t kMaxFileBytes = 64 * 1024;  // both files are a few dozen bytes

// Long.parseLong: an optional sign, then decimal digits, nothing else.
std::optional<std::int64_t> parse_long(std::string_view text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<common::JavaProperties> parse_properties(std::string_view text) {
  try {
    return common::JavaProperties::parse(text, "dledger state file");
  } catch (const common::ConfigError&) {
    return std::nullopt;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string encode_currterm(const DLedgerHardState& state) {
  if (state.current_term < 0) throw std::invalid_argument("negative term");
  for (char c : state.voted_for) {
    if (c < 0x21 || c > 0x7e || c == '\\') {
      throw std::invalid_argument("peer id '" + state.voted_for + "' cannot be written to currterm unescaped");
    }
  }
  return "voteLeader=" + state.voted_for + "\ncurrTerm=" + std::to_string(state.current_term) + "\n";
}

std::string encode_checkpoint(const DLedgerCheckpoint& checkpoint) {
  return "endIndex=" + std::to_string(checkpoint.end_index) + "\ncommittedIndex=" +
         std::to_string(checkpoint.committed_index) + "\n";
}

std::optional<DLedgerHardState> decode_currterm(std::string_view text) {
  const auto props = parse_properties(text);
  if (!props) return std::nullopt;
  const auto term_text = props->get("currTerm");
  if (!term_text) return std::nullopt;
  const auto term = parse_long(*term_text);
  if (!term || *term < 0) return std::nullopt;
  return DLedgerHardState{*term, props->get_or("voteLeader", "")};
}

std::optional<DLedgerCheckpoint> decode_checkpoint(std::string_view text) {
  const auto props = parse_properties(text);
  if (!props) return std::nullopt;
  const auto committed_text = props->get("committedIndex");
  if (!committed_text) return std::nullopt;
  const auto committed = parse_long(trim(*committed_text));  // upstream trims this one
  if (!committed) return std::nullopt;
  DLedgerCheckpoint checkpoint;
  checkpoint.committed_index = *committed;
  if (const auto end_text = props->get("endIndex")) {
    const auto end = parse_long(trim(*end_text));
    if (!end) return std::nullopt;
    checkpoint.end_index = *end;
  }
  return checkpoint;
}

DLedgerMemberStateFile::DLedgerMemberStateFile(common::FileSystem& fs, std::filesystem::path dledger_dir)
    : fs_(fs), dir_(std::move(dledger_dir)) {}

void DLedgerMemberStateFile::save_text(const std::string& name, const std::string& text) {
  const std::filesystem::path path = dir_ / name;
  const std::filesystem::path tmp = dir_ / (name + ".tmp");
  const std::filesystem::path bak = dir_ / (name + ".bak");
  const common::ByteSpan bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  {
    auto file = fs_.open(tmp, common::OpenMode::kCreateTruncate);
    file->append(bytes);
    file->sync();
  }
  if (const auto old = common::read_whole_file(fs_, path, kMaxFileBytes)) {
    auto file = fs_.open(bak, common::OpenMode::kCreateTruncate);
    file->append(*old);
    file->sync();
  }
  fs_.rename(tmp, path);
  fs_.sync_dir(dir_);
}

template <typename T, typename Decode>
std::optional<T> DLedgerMemberStateFile::load_text(const std::string& name, Decode decode, bool& found_any) {
  found_any = false;
  for (const std::string& candidate : {name, name + ".bak"}) {
    const auto bytes = common::read_whole_file(fs_, dir_ / candidate, kMaxFileBytes);
    if (!bytes) continue;
    found_any = true;
    if (auto value = decode(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()))) {
      return value;
    }
  }
  return std::nullopt;
}

void DLedgerMemberStateFile::save_hard_state(const DLedgerHardState& state) {
  save_text(kDLedgerCurrTermFile, encode_currterm(state));
}

std::optional<DLedgerHardState> DLedgerMemberStateFile::load_hard_state() {
  bool found_any = false;
  auto state = load_text<DLedgerHardState>(kDLedgerCurrTermFile, decode_currterm, found_any);
  if (!state && found_any) {
    throw DLedgerCorruption((dir_ / kDLedgerCurrTermFile).string() +
                            " and its .bak hold no usable currTerm; refusing to start with a forgotten term and vote");
  }
  return state;
}

void DLedgerMemberStateFile::save_checkpoint(const DLedgerCheckpoint& checkpoint) {
  save_text(kDLedgerCheckpointFile, encode_checkpoint(checkpoint));
}

std::optional<DLedgerCheckpoint> DLedgerMemberStateFile::load_checkpoint() {
  bool found_any = false;
  return load_text<DLedgerCheckpoint>(kDLedgerCheckpointFile, decode_checkpoint, found_any);
}

}  // namespace rmq::store
