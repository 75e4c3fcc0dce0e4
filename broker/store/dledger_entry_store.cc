#include "broker/store/dledger_entry_store.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "broker/store/dledger_error.h"
#include "broker/store/dledger_index.h"

namespace rmq::store {

const char* to_string(DLedgerAppendStatus status) {
  switch (status) {
    case DLedgerAppendStatus::kOk: return "ok";
    case DLedgerAppendStatus::kInconsistentIndex: return "inconsistent index";
    case DLedgerAppendStatus::kInconsistentPos: return "inconsistent pos";
    case DLedgerAppendStatus::kTermBelowLast: return "term below the last entry's";
    case DLedgerAppendStatus::kBadEntry: return "bad entry";
  }
  return "unknown";
}

DLedgerEntryStore::DLedgerEntryStore(common::FileSystem& fs, const DLedgerStoreOptions& options,
                                     std::filesystem::path dir, std::filesystem::path data_dir)
    : dir_(std::move(dir)),
      data_(fs, std::move(data_dir), options.data_file_bytes, /*pad_with_blank=*/true),
      index_(fs, dir_ / "index", options.index_file_bytes, /*pad_with_blank=*/false),
      state_file_(fs, dir_) {}

std::unique_ptr<DLedgerEntryStore> DLedgerEntryStore::open(common::FileSystem& fs, DLedgerStoreOptions options) {
  if (options.self_id.empty() || options.self_id.find('/') != std::string::npos) {
    throw std::invalid_argument("DLedger self id '" + options.self_id + "' cannot name a directory");
  }
  if (options.data_file_bytes < static_cast<std::int64_t>(kDLedgerHeaderBytes + kDLedgerBlankMinBytes) + 1) {
    throw std::invalid_argument("DLedger data file size " + std::to_string(options.data_file_bytes) + " is too small");
  }
  if (options.index_file_bytes <= 0 || options.index_file_bytes % static_cast<std::int64_t>(kDLedgerIndexUnitBytes) != 0) {
    throw std::invalid_argument("DLedger index file size " + std::to_string(options.index_file_bytes) +
                                " is not a positive multiple of 32");
  }
  const std::filesystem::path dir = options.store_root / ("dledger-" + options.self_id);
  const std::filesystem::path data_dir = options.data_dir.value_or(dir / "data");
  common::create_dirs_durably(fs, data_dir);
  common::create_dirs_durably(fs, dir / "index");

  std::unique_ptr<DLedgerEntryStore> store(new DLedgerEntryStore(fs, options, dir, data_dir));
  store->data_.load();
  store->index_.load();
  if (store->data_.empty()) store->data_.start_at(options.first_entry_pos);
  // The checkpoint is read first: recovery must not discard entries it says are committed (save_checkpoint
  // syncs the data before writing it). Recovery throws DLedgerCorruption, before truncating anything, when it
  // stops on an invalid entry at or below the committed index.
  store->checkpoint_at_open_ = store->state_file_.load_checkpoint();
  const std::int64_t checkpoint_committed =
      store->checkpoint_at_open_ ? store->checkpoint_at_open_->committed_index : -1;
  store->recovery_ = recover_dledger_files(store->data_, store->index_, options.body_check, checkpoint_committed);
  store->begin_index_ = store->recovery_.begin_index;
  store->end_index_ = store->recovery_.end_index;
  store->end_term_ = store->recovery_.end_term;

  if (checkpoint_committed > store->end_index_ && store->recovery_.stopped_on_invalid_entry) {
    // recover_dledger_files refuses this; never cap over lost committed entries.
    throw std::logic_error(dir.string() + ": recovery dropped committed entries without refusing");
  }
  // Here the data ended cleanly; a committed index past its end is a checkpoint that ran ahead of the data its
  // writer had flushed (a Java broker's flush thread writes it on its own schedule): capped (storage.md 5.6).
  if (checkpoint_committed >= 0 && store->end_index_ >= 0) {
    store->committed_index_ = std::min(checkpoint_committed, store->end_index_);
  }
  if (store->end_index_ >= 0) {  // upstream re-reads the last entry after recovery
    const auto last = store->get(store->end_index_);
    if (!last || last->index != store->end_index_) {
      throw DLedgerCorruption(dir.string() + ": the last recovered entry cannot be read back");
    }
  }
  return store;
}

void DLedgerEntryStore::check_usable() const {
  if (!failure_.empty()) {
    throw DLedgerStoreFailed(dir_.string() + ": an earlier write failed (" + failure_ + "); reopen the store");
  }
}

template <typename F>
void DLedgerEntryStore::guarded(F&& f) {
  check_usable();
  write_started_at_ = -1;
  try {
    f();
  } catch (const std::exception& e) {
    failure_ = std::string("failed: ") + e.what();
    if (data_.sync_failed()) {
      // A failed fsync is not a retry (review item 3): Linux marks the pages whose writeback failed clean, so
      // the entries written since the last good sync read back now (and on a reopen) but may be gone after a
      // crash or an eviction. They must never be served or acknowledged.
      if (data_.write_pos() > data_.synced_pos()) cut_back_to(data_.synced_pos(), "the end of the last successful sync");
    } else if (write_started_at_ >= 0) {
      // A failed or short write may have put part of its entries on disk (a pwrite that hits ENOSPC part way
      // writes a prefix; the rest of the entry stays a hole of zeros): a torn entry whose header is intact.
      cut_back_to(write_started_at_, "the start of the failed write");
    }
    write_started_at_ = -1;
    throw;
  }
  write_started_at_ = -1;
}

// The store stays failed either way; a reopen then finds exactly the entries before end_pos.
void DLedgerEntryStore::cut_back_to(std::int64_t end_pos, const std::string& what) {
  try {
    std::int64_t keep = end_index_;
    std::int64_t keep_term = end_term_;
    while (keep >= 0 && keep >= begin_index_) {
      const DLedgerIndexUnit unit = read_index_unit(keep);
      if (unit.pos + unit.size <= end_pos) {
        keep_term = unit.term;
        break;
      }
      --keep;
    }
    if (begin_index_ < 0 || keep < begin_index_) {
      keep = begin_index_ < 0 ? end_index_ : begin_index_ - 1;
      keep_term = -1;
    }
    // Units not yet written describe entries of the last data file, whose units recovery rebuilds; writing
    // them now could hit the same full disk. The index is cut where its written units end or at the first
    // unit past `keep`, whichever comes first.
    pending_units_.clear();
    pending_first_index_ = -1;
    data_.truncate(end_pos);
    data_.sync();
    index_.truncate(std::min(index_.write_pos(), index_unit_offset(keep + 1)));
    index_.sync();
    const std::int64_t dropped = end_index_ - keep;
    end_index_ = keep;
    end_term_ = keep_term;
    if (end_index_ < begin_index_) begin_index_ = -1;
    committed_index_ = std::min(committed_index_, end_index_);
    failure_ += "; the log was cut back durably to " + what + ", position " + std::to_string(end_pos) +
                " (the log ends at entry " + std::to_string(keep) + "; " + std::to_string(dropped) +
                " written entries dropped, nothing after it is kept or acknowledged)";
  } catch (const std::exception& e) {
    failure_ += "; cutting the log back to " + what + ", position " + std::to_string(end_pos) + ", failed too (" +
                e.what() + "): stop the node, the files may hold bytes (a torn entry, or entries the disk lacks) " +
                "past the last whole entry";
  }
}

namespace {
constexpr std::size_t kMaxPendingUnitBytes = 64 * 1024;  // 2048 units per index write
}  // namespace

void DLedgerEntryStore::write_run() {
  // The index units of every entry in the files before the last are durable (header comment): write and sync
  // them as the data moves on to a new file.
  if (data_.append_opens_file(static_cast<std::int64_t>(scratch_.size()))) {
    write_pending_units();
    index_.sync();
  }
  const DLedgerEntryHeader& first = run_headers_.front();
  write_started_at_ = data_.write_pos();
  const std::int64_t pos = data_.append(scratch_);
  if (pos != first.pos) {
    throw std::logic_error("entry " + std::to_string(first.index) + " landed at " + std::to_string(pos) +
                           ", not at its pos " + std::to_string(first.pos));
  }
  for (const DLedgerEntryHeader& header : run_headers_) {
    if (pending_units_.empty()) pending_first_index_ = header.index;
    const std::size_t at = pending_units_.size();
    pending_units_.resize(at + kDLedgerIndexUnitBytes);
    encode_index_unit(index_unit_for(header), std::span<std::uint8_t>(pending_units_).subspan(at));
    end_index_ = header.index;
    end_term_ = header.term;
    if (begin_index_ == -1) begin_index_ = header.index;
  }
  if (pending_units_.size() >= kMaxPendingUnitBytes) write_pending_units();
}

void DLedgerEntryStore::write_pending_units() {
  if (pending_units_.empty()) return;
  if (index_.write_pos() != index_unit_offset(pending_first_index_)) {
    throw std::logic_error("index files end at " + std::to_string(index_.write_pos()) + ", not at the unit of entry " +
                           std::to_string(pending_first_index_));
  }
  common::ByteSpan rest(pending_units_);
  while (!rest.empty()) {  // an index append may not cross a file end; files hold whole units
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(index_.room_in_file(), static_cast<std::int64_t>(rest.size())));
    index_.append(rest.first(n));
    rest = rest.subspan(n);
  }
  pending_units_.clear();
  pending_first_index_ = -1;
}

DLedgerEntry DLedgerEntryStore::append_as_leader(std::int64_t term, common::ByteSpan body,
                                                 const DLedgerAppendHook& hook) {
  check_usable();
  if (term < 0 || term < end_term_) {
    throw std::invalid_argument("append in term " + std::to_string(term) + " after an entry of term " +
                                std::to_string(end_term_));
  }
  DLedgerEntry entry;
  entry.index = end_index_ + 1;
  entry.term = term;
  entry.body.assign(body.begin(), body.end());
  if (entry.size_bytes() > kDLedgerMaxEntryBytes) {
    throw std::invalid_argument("entry of " + std::to_string(entry.size_bytes()) + " bytes is over the 4 MiB limit");
  }
  entry.pos = data_.next_append_pos(static_cast<std::int64_t>(entry.size_bytes()));
  if (hook) hook(entry.pos, entry.body);
  scratch_.clear();
  encode_entry(entry, scratch_);
  run_headers_.assign(1, entry.header());
  guarded([&] { write_run(); });
  run_headers_.clear();
  return entry;
}

DLedgerEntryHeader DLedgerEntryRef::header() const {
  DLedgerEntryHeader h;
  h.magic = magic;
  h.size = static_cast<std::int32_t>(size_bytes());
  h.index = index;
  h.term = term;
  h.pos = pos;
  h.channel = channel;
  h.chain_crc = chain_crc;
  h.body_crc = body_crc;
  h.body_len = static_cast<std::int32_t>(body.size());
  return h;
}

DLedgerAppendStatus DLedgerEntryStore::append_as_follower(const DLedgerEntry& entry) {
  DLedgerEntryRef ref;
  ref.magic = entry.magic;
  ref.index = entry.index;
  ref.term = entry.term;
  ref.pos = entry.pos;
  ref.channel = entry.channel;
  ref.chain_crc = entry.chain_crc;
  ref.body_crc = entry.body_crc;
  ref.body = entry.body;
  return append_run_as_follower(std::span<const DLedgerEntryRef>(&ref, 1)).status;
}

DLedgerRunAppendResult DLedgerEntryStore::append_run_as_follower(std::span<const DLedgerEntryRef> entries) {
  check_usable();
  DLedgerRunAppendResult result;
  const auto spare = static_cast<std::int64_t>(kDLedgerBlankMinBytes);
  scratch_.clear();
  run_headers_.clear();
  std::int64_t run_file_end = 0;  // where the data file that the run lands in ends
  auto write = [&] {
    if (run_headers_.empty()) return;
    try {
      guarded([&] { write_run(); });
    } catch (...) {
      scratch_.clear();
      run_headers_.clear();
      throw;
    }
    result.written += run_headers_.size();
    scratch_.clear();
    run_headers_.clear();
  };
  auto stop = [&](DLedgerAppendStatus status) {
    write();
    result.status = status;
    return result;
  };
  for (const DLedgerEntryRef& entry : entries) {
    const auto size = static_cast<std::int64_t>(entry.size_bytes());
    if (entry.magic != kDLedgerMagic || entry.index < 0 || entry.term < 0 || entry.pos < 0 ||
        entry.size_bytes() > kDLedgerMaxEntryBytes || size + spare > data_.file_size_bytes()) {
      return stop(DLedgerAppendStatus::kBadEntry);
    }
    std::int64_t expected_pos = -1;
    if (!run_headers_.empty()) {
      // The log as the run leaves it: the run's last entry ends it.
      const DLedgerEntryHeader& last = run_headers_.back();
      if (entry.index != last.index + 1) return stop(DLedgerAppendStatus::kInconsistentIndex);
      if (entry.term < last.term) return stop(DLedgerAppendStatus::kTermBelowLast);
      const std::int64_t run_end = last.pos + last.size;
      if (run_end + size + spare <= run_file_end) {
        expected_pos = run_end;
      } else {
        write();  // the entry goes to the next file, after a blank: the run so far is written first
      }
    }
    if (run_headers_.empty()) {
      if (entry.index != end_index_ + 1) return stop(DLedgerAppendStatus::kInconsistentIndex);
      if (entry.term < end_term_) return stop(DLedgerAppendStatus::kTermBelowLast);
      expected_pos = data_.next_append_pos(size);
      run_file_end = expected_pos == data_.write_pos() ? expected_pos + data_.room_in_file()
                                                       : expected_pos + data_.file_size_bytes();
    }
    if (entry.pos != expected_pos) return stop(DLedgerAppendStatus::kInconsistentPos);
    run_headers_.push_back(entry.header());
    const std::size_t at = scratch_.size();
    scratch_.resize(at + kDLedgerHeaderBytes);
    encode_entry_header(run_headers_.back(), std::span<std::uint8_t>(scratch_).subspan(at));
    scratch_.insert(scratch_.end(), entry.body.begin(), entry.body.end());
  }
  write();
  return result;
}

DLedgerIndexUnit DLedgerEntryStore::read_index_unit(std::int64_t index) const {
  if (!pending_units_.empty() && index >= pending_first_index_) {
    const auto at = static_cast<std::size_t>(index - pending_first_index_) * kDLedgerIndexUnitBytes;
    return decode_index_unit(common::ByteSpan(pending_units_).subspan(at, kDLedgerIndexUnitBytes));
  }
  std::array<std::uint8_t, kDLedgerIndexUnitBytes> raw{};
  try {
    index_.read(index_unit_offset(index), raw);
  } catch (const std::out_of_range& e) {
    throw DLedgerCorruption(dir_.string() + ": index unit of entry " + std::to_string(index) + ": " + e.what());
  }
  const DLedgerIndexUnit unit = decode_index_unit(raw);
  if (unit.index != index || unit.magic != kDLedgerMagic || unit.size <= kDLedgerHeaderSizeConstant ||
      static_cast<std::size_t>(unit.size) > kDLedgerMaxEntryBytes || unit.pos < 0) {
    throw DLedgerCorruption(dir_.string() + ": index unit of entry " + std::to_string(index) +
                            " is not valid (index " + std::to_string(unit.index) + ", size " +
                            std::to_string(unit.size) + ")");
  }
  return unit;
}

std::optional<DLedgerEntry> DLedgerEntryStore::get(std::int64_t index) const {
  check_usable();
  if (begin_index_ < 0 || index < begin_index_ || index > end_index_) return std::nullopt;
  const DLedgerIndexUnit unit = read_index_unit(index);
  common::Bytes raw(static_cast<std::size_t>(unit.size));
  try {
    data_.read(unit.pos, raw);
    DLedgerEntry entry = decode_entry(raw);
    if (entry.pos != unit.pos || entry.index != index || entry.term != unit.term) {
      throw std::invalid_argument("header says index " + std::to_string(entry.index) + " pos " +
                                  std::to_string(entry.pos));
    }
    return entry;
  } catch (const std::invalid_argument& e) {
    throw DLedgerCorruption(dir_.string() + ": entry " + std::to_string(index) + " at " + std::to_string(unit.pos) +
                            ": " + e.what());
  } catch (const std::out_of_range& e) {
    throw DLedgerCorruption(dir_.string() + ": entry " + std::to_string(index) + ": " + e.what());
  }
}

void DLedgerEntryStore::read_data(std::int64_t pos, std::span<std::uint8_t> out) const {
  check_usable();
  data_.read(pos, out);
}

void DLedgerEntryStore::truncate_after(std::int64_t last_kept_index) {
  check_usable();
  if (last_kept_index < committed_index_) {
    throw std::logic_error("truncate after " + std::to_string(last_kept_index) + " would remove committed entries (" +
                           "committed index " + std::to_string(committed_index_) + ")");
  }
  if (last_kept_index > end_index_) {
    throw std::invalid_argument("truncate after " + std::to_string(last_kept_index) + " beyond the end " +
                                std::to_string(end_index_));
  }
  if (last_kept_index == end_index_) return;
  // Here the log has entries: end_index_ > last_kept_index >= -1.
  if (last_kept_index < begin_index_ - 1 || (last_kept_index == begin_index_ - 1 && begin_index_ != 0)) {
    throw std::invalid_argument("truncate after " + std::to_string(last_kept_index) + " below the log's begin " +
                                std::to_string(begin_index_));
  }
  std::int64_t new_end_pos;
  std::int64_t new_end_term = -1;
  if (last_kept_index >= begin_index_) {
    const DLedgerIndexUnit kept = read_index_unit(last_kept_index);
    new_end_pos = kept.pos + kept.size;
    new_end_term = kept.term;
  } else {
    new_end_pos = read_index_unit(begin_index_).pos;
  }
  guarded([&] {
    write_pending_units();
    data_.truncate(new_end_pos);
    index_.truncate(index_unit_offset(last_kept_index + 1));
    data_.sync();
    index_.sync();
  });
  end_index_ = last_kept_index;
  end_term_ = new_end_term;
  if (end_index_ < begin_index_) begin_index_ = -1;
}

void DLedgerEntryStore::sync() {
  guarded([&] { data_.sync(); });
}

void DLedgerEntryStore::set_committed_index(std::int64_t index) {
  check_usable();
  if (index < committed_index_) {
    throw std::logic_error("commit index lowered from " + std::to_string(committed_index_) + " to " +
                           std::to_string(index));
  }
  if (index > end_index_) {
    throw std::invalid_argument("commit index " + std::to_string(index) + " beyond the end " +
                                std::to_string(end_index_));
  }
  committed_index_ = index;
}

void DLedgerEntryStore::save_checkpoint() {
  guarded([&] {
    data_.sync();
    write_pending_units();
    index_.sync();
    state_file_.save_checkpoint(DLedgerCheckpoint{end_index_, committed_index_});
  });
}

}  // namespace rmq::store
