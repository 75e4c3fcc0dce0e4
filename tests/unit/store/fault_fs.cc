#include "tests/unit/store/fault_fs.h"

#include <algorithm>
#include <random>
#include <set>
#include <utility>

namespace rmq::store::testing {

using common::Bytes;
using common::ByteSpan;
using common::IoError;

namespace {

constexpr std::uint64_t kSectorBytes = 512;

// One unsynced change of a file's content.
struct ContentOp {
  bool is_write = true;     // a write of `bytes` at `offset`; otherwise a resize to `size`
  std::uint64_t offset = 0;
  Bytes bytes;
  std::uint64_t size = 0;
};

void apply_write(Bytes& content, std::uint64_t offset, ByteSpan bytes) {
  if (content.size() < offset + bytes.size()) content.resize(offset + bytes.size(), 0);
  std::copy(bytes.begin(), bytes.end(), content.begin() + static_cast<std::ptrdiff_t>(offset));
}

}  // namespace

struct FaultFs::Node {
  bool is_dir = false;
  // A file.
  Bytes data;
  Bytes durable;
  std::vector<ContentOp> pending;
  // A directory: name -> node, null meaning "removed" in a pending change.
  using Entries = std::map<std::string, std::shared_ptr<Node>>;
  Entries entries;
  Entries durable_entries;
  std::vector<std::vector<std::pair<std::string, std::shared_ptr<Node>>>> pending_dir;  // atomic change groups
};

const char* to_string(CrashMode mode) {
  switch (mode) {
    case CrashMode::kDropUnsynced: return "drop-unsynced";
    case CrashMode::kKeepSomeUnsynced: return "keep-some-unsynced";
    case CrashMode::kTearUnsynced: return "tear-unsynced";
  }
  return "?";
}

class FaultFile final : public common::File {
 public:
  FaultFile(FaultFs& fs, std::shared_ptr<FaultFs::Node> node, std::filesystem::path path, bool writable)
      : fs_(fs), node_(std::move(node)), path_(std::move(path)), writable_(writable), epoch_(fs.epoch_) {}

  std::size_t read_at(std::uint64_t offset_bytes, std::span<std::uint8_t> out) override {
    alive();
    const Bytes& data = node_->data;
    if (offset_bytes >= data.size()) return 0;
    const std::size_t n = std::min<std::size_t>(out.size(), data.size() - offset_bytes);
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(offset_bytes), n, out.begin());
    return n;
  }

  void write_at(std::uint64_t offset_bytes, ByteSpan bytes) override {
    alive();
    writable();
    try {
      fs_.before_op(OpCounter::kWrite);
    } catch (const IoError&) {
      const std::optional<std::uint64_t> short_bytes = std::exchange(fs_.fired_short_bytes_, std::nullopt);
      if (short_bytes && *short_bytes > 0) {  // a short write: its prefix reached the file, then ENOSPC
        const ByteSpan prefix = bytes.first(std::min<std::size_t>(bytes.size(), *short_bytes));
        apply_write(node_->data, offset_bytes, prefix);
        node_->pending.push_back(ContentOp{true, offset_bytes, Bytes(prefix.begin(), prefix.end()), 0});
      }
      throw;
    }
    apply_write(node_->data, offset_bytes, bytes);
    node_->pending.push_back(ContentOp{true, offset_bytes, Bytes(bytes.begin(), bytes.end()), 0});
  }

  void append(ByteSpan bytes) override { write_at(node_->data.size(), bytes); }

  void truncate(std::uint64_t size_bytes) override {
    alive();
    writable();
    fs_.before_op(OpCounter::kWrite);
    node_->data.resize(size_bytes, 0);
    node_->pending.push_back(ContentOp{false, 0, {}, size_bytes});
  }

  std::uint64_t size_bytes() override {
    alive();
    return node_->data.size();
  }

  void sync() override {
    alive();
    try {
      fs_.before_op(OpCounter::kSync);
    } catch (const IoError&) {
      // Linux after a failed fsync: the pages whose writeback failed are marked clean. They stay visible (until
      // evicted, or until a crash), but no later fsync writes them: a retry "succeeds" without them.
      node_->pending.clear();
      throw;
    }
    // Only what is still pending reaches the medium (not data written before a failed sync).
    for (const ContentOp& op : node_->pending) {
      if (op.is_write) {
        apply_write(node_->durable, op.offset, op.bytes);
      } else {
        node_->durable.resize(op.size, 0);
      }
    }
    node_->pending.clear();
  }

  const std::filesystem::path& path() const override { return path_; }

 private:
  void alive() const {
    fs_.check_alive();
    if (epoch_ != fs_.epoch_) throw SimulatedCrash(path_.string() + ": file handle from before a crash");
  }
  void writable() const {
    if (!writable_) throw IoError(path_.string() + ": opened read-only");
  }

  FaultFs& fs_;
  std::shared_ptr<FaultFs::Node> node_;
  std::filesystem::path path_;
  bool writable_;
  std::uint64_t epoch_;
};

FaultFs::FaultFs() : root_(std::make_shared<Node>()) { root_->is_dir = true; }
FaultFs::~FaultFs() = default;

void FaultFs::check_alive() const {
  if (crashed_) throw SimulatedCrash("the simulated machine has crashed");
}

void FaultFs::before_op(OpCounter kind) {
  check_alive();
  fired_short_bytes_.reset();  // only the write an armed short write hits may use it
  ++counts_[static_cast<int>(OpCounter::kAny)];
  ++counts_[static_cast<int>(kind)];
  if (!armed_ || counts_[static_cast<int>(armed_counter_)] != armed_at_) return;
  if (armed_counter_ != OpCounter::kAny && armed_counter_ != kind) return;
  armed_ = false;
  if (armed_kind_ == FaultKind::kCrash) {
    crashed_ = true;
    throw SimulatedCrash("simulated crash at operation " + std::to_string(counts_[0]));
  }
  last_fault_kind_ = kind;
  fired_short_bytes_ = std::exchange(armed_short_bytes_, std::nullopt);
  if (fired_short_bytes_) {
    throw IoError("injected short write (" + std::to_string(*fired_short_bytes_) +
                  " bytes, then no space left on device) at operation " + std::to_string(counts_[0]));
  }
  throw IoError("injected I/O error at operation " + std::to_string(counts_[0]));
}

std::uint64_t FaultFs::op_count(OpCounter counter) const { return counts_[static_cast<int>(counter)]; }

void FaultFs::inject(FaultKind kind, std::uint64_t nth, OpCounter counter) {
  armed_ = true;
  armed_kind_ = kind;
  armed_counter_ = counter;
  armed_at_ = nth;
  armed_short_bytes_.reset();
}

void FaultFs::inject_short_write(std::uint64_t nth, std::uint64_t written_bytes) {
  inject(FaultKind::kFail, nth, OpCounter::kWrite);
  armed_short_bytes_ = written_bytes;
}

void FaultFs::clear_injection() {
  armed_ = false;
  armed_short_bytes_.reset();
}

std::shared_ptr<FaultFs::Node> FaultFs::lookup(const std::filesystem::path& path) const {
  const std::filesystem::path p = path.lexically_normal();
  if (!p.is_absolute()) throw IoError(path.string() + ": FaultFs needs absolute paths");
  std::shared_ptr<Node> node = root_;
  for (const auto& part : p.relative_path()) {
    if (part.empty()) continue;
    if (!node->is_dir) return nullptr;
    const auto it = node->entries.find(part.string());
    if (it == node->entries.end()) return nullptr;
    node = it->second;
  }
  return node;
}

std::shared_ptr<FaultFs::Node> FaultFs::parent_dir(const std::filesystem::path& path) const {
  const auto parent = lookup(path.lexically_normal().parent_path());
  if (!parent || !parent->is_dir) throw IoError(path.string() + ": no such directory");
  return parent;
}

std::unique_ptr<common::File> FaultFs::open(const std::filesystem::path& path, common::OpenMode mode) {
  check_alive();
  const std::filesystem::path p = path.lexically_normal();
  auto parent = parent_dir(p);
  const std::string name = p.filename().string();
  auto it = parent->entries.find(name);
  std::shared_ptr<Node> node;
  if (it == parent->entries.end()) {
    if (mode == common::OpenMode::kRead || mode == common::OpenMode::kReadWrite) {
      throw IoError(p.string() + ": no such file");
    }
    before_op(OpCounter::kMeta);
    node = std::make_shared<Node>();
    parent->entries[name] = node;
    parent->pending_dir.push_back({{name, node}});
  } else {
    node = it->second;
    if (node->is_dir) throw IoError(p.string() + ": is a directory");
    if (mode == common::OpenMode::kCreateTruncate) {
      before_op(OpCounter::kWrite);
      node->data.clear();
      node->pending.push_back(ContentOp{false, 0, {}, 0});
    }
  }
  return std::make_unique<FaultFile>(*this, node, p, mode != common::OpenMode::kRead);
}

bool FaultFs::exists(const std::filesystem::path& path) {
  check_alive();
  return lookup(path) != nullptr;
}

bool FaultFs::is_directory(const std::filesystem::path& path) {
  check_alive();
  const auto node = lookup(path);
  return node && node->is_dir;
}

std::vector<std::string> FaultFs::list_dir(const std::filesystem::path& dir) {
  check_alive();
  const auto node = lookup(dir);
  if (!node || !node->is_dir) throw IoError(dir.string() + ": no such directory");
  std::vector<std::string> names;
  for (const auto& [name, child] : node->entries) names.push_back(name);
  return names;  // std::map keeps them sorted
}

bool FaultFs::create_dir(const std::filesystem::path& dir) {
  check_alive();
  const std::filesystem::path p = dir.lexically_normal();
  if (const auto node = lookup(p)) {
    if (node->is_dir) return false;
    throw IoError(p.string() + ": exists and is not a directory");
  }
  auto parent = parent_dir(p);
  before_op(OpCounter::kMeta);
  auto node = std::make_shared<Node>();
  node->is_dir = true;
  parent->entries[p.filename().string()] = node;
  parent->pending_dir.push_back({{p.filename().string(), node}});
  return true;
}

void FaultFs::sync_dir(const std::filesystem::path& dir) {
  check_alive();
  const auto node = lookup(dir);
  if (!node || !node->is_dir) throw IoError(dir.string() + ": no such directory");
  before_op(OpCounter::kSync);
  node->durable_entries = node->entries;
  node->pending_dir.clear();
}

void FaultFs::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  check_alive();
  const std::filesystem::path f = from.lexically_normal();
  const std::filesystem::path t = to.lexically_normal();
  auto from_parent = parent_dir(f);
  auto to_parent = parent_dir(t);
  const auto it = from_parent->entries.find(f.filename().string());
  if (it == from_parent->entries.end()) throw IoError(f.string() + ": no such file");
  if (const auto target = lookup(t); target && target->is_dir) throw IoError(t.string() + ": is a directory");
  before_op(OpCounter::kMeta);
  const auto node = it->second;
  from_parent->entries.erase(it);
  to_parent->entries[t.filename().string()] = node;
  if (from_parent == to_parent) {
    from_parent->pending_dir.push_back({{f.filename().string(), nullptr}, {t.filename().string(), node}});
  } else {
    from_parent->pending_dir.push_back({{f.filename().string(), nullptr}});
    to_parent->pending_dir.push_back({{t.filename().string(), node}});
  }
}

void FaultFs::remove_file(const std::filesystem::path& path) {
  check_alive();
  const std::filesystem::path p = path.lexically_normal();
  auto parent = parent_dir(p);
  const auto it = parent->entries.find(p.filename().string());
  if (it == parent->entries.end()) throw IoError(p.string() + ": no such file");
  if (it->second->is_dir) throw IoError(p.string() + ": is a directory");
  before_op(OpCounter::kMeta);
  parent->entries.erase(it);
  parent->pending_dir.push_back({{p.filename().string(), nullptr}});
}

std::uint64_t FaultFs::file_size(const std::filesystem::path& path) {
  check_alive();
  const auto node = lookup(path);
  if (!node || node->is_dir) throw IoError(path.string() + ": no such file");
  return node->data.size();
}

void FaultFs::crash(CrashMode mode, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const bool keep_some = mode != CrashMode::kDropUnsynced;
  std::set<const Node*> visited;
  std::vector<std::shared_ptr<Node>> work{root_};
  while (!work.empty()) {
    const std::shared_ptr<Node> node = work.back();
    work.pop_back();
    if (!visited.insert(node.get()).second) continue;
    if (node->is_dir) {
      Node::Entries entries = node->durable_entries;
      if (keep_some && !node->pending_dir.empty()) {
        const std::size_t kept = static_cast<std::size_t>(rng() % (node->pending_dir.size() + 1));
        for (std::size_t i = 0; i < kept; ++i) {
          for (const auto& [name, child] : node->pending_dir[i]) {
            if (child) {
              entries[name] = child;
            } else {
              entries.erase(name);
            }
          }
        }
      }
      node->entries = entries;
      node->durable_entries = std::move(entries);
      node->pending_dir.clear();
      for (const auto& [name, child] : node->entries) work.push_back(child);
    } else {
      Bytes content = node->durable;
      if (keep_some) {
        for (const ContentOp& op : node->pending) {
          if (rng() % 2 == 0) continue;  // this change never reached the medium
          if (!op.is_write) {
            content.resize(op.size, 0);
          } else if (mode == CrashMode::kKeepSomeUnsynced) {
            apply_write(content, op.offset, op.bytes);
          } else {  // tear: each 512-byte sector of the write (aligned to the file) survives on its own
            std::uint64_t at = op.offset;
            const std::uint64_t end = op.offset + op.bytes.size();
            while (at < end) {
              const std::uint64_t sector_end = std::min(end, (at / kSectorBytes + 1) * kSectorBytes);
              if (rng() % 2 == 1) {
                apply_write(content, at,
                            ByteSpan(op.bytes).subspan(static_cast<std::size_t>(at - op.offset),
                                                       static_cast<std::size_t>(sector_end - at)));
              }
              at = sector_end;
            }
          }
        }
      }
      node->data = content;
      node->durable = std::move(content);
      node->pending.clear();
    }
  }
  crashed_ = false;
  armed_ = false;
  ++epoch_;
}

Bytes FaultFs::contents(const std::filesystem::path& path) {
  const auto node = lookup(path);
  if (!node || node->is_dir) throw IoError(path.string() + ": no such file");
  return node->data;
}

void FaultFs::corrupt(const std::filesystem::path& path, std::uint64_t offset, ByteSpan bytes) {
  const auto node = lookup(path);
  if (!node || node->is_dir) throw IoError(path.string() + ": no such file");
  apply_write(node->data, offset, bytes);
  apply_write(node->durable, offset, bytes);
}

}  // namespace rmq::store::testing
