// DLedger entry store appends against a plain sequential write(2) of the same bytes, on the same disk, in the
// same run: what the store's format, index and bookkeeping cost over the disk itself.
//
//   EntryStoreAppend/<body bytes>/<entries per fsync, 0 = never>   append_as_leader (+ sync() per batch)
//   PlainWrite/<body bytes>/<entries per fsync, 0 = never>         write(2) of 48 + body bytes per entry
//                                                                  (+ fdatasync per batch)
// Both report entries/s (items_per_second) and bytes/s (bytes_per_second, counting 48 + body per entry; the
// store also writes a 32-byte index unit per entry, which is not counted). Each case writes about 64 MiB into
// a fresh directory under $RMQ_BENCH_DIR (default: the system temp directory), removed afterwards.
//
//   build-dledger/entry_store_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include "broker/common/file_system_posix.h"
#include "broker/store/dledger_entry_store.h"

namespace {

namespace fs = std::filesystem;
using rmq::store::DLedgerEntryStore;
using rmq::store::DLedgerStoreOptions;

constexpr std::int64_t kBytesPerCase = 64LL * 1024 * 1024;

// A fresh directory for one benchmark case, removed with its content.
class CaseDir {
 public:
  CaseDir() {
    const char* base = std::getenv("RMQ_BENCH_DIR");
    std::string pattern = ((base != nullptr ? fs::path(base) : fs::temp_directory_path()) / "rmq-entry-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern + " failed");
    path_ = pattern;
  }
  ~CaseDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  CaseDir(const CaseDir&) = delete;
  CaseDir& operator=(const CaseDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::int64_t entry_bytes(const benchmark::State& state) { return 48 + state.range(0); }

void report(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * entry_bytes(state));
}

void EntryStoreAppend(benchmark::State& state) {
  const auto body_bytes = static_cast<std::size_t>(state.range(0));
  const std::int64_t entries_per_sync = state.range(1);
  CaseDir dir;
  rmq::common::PosixFileSystem posix;
  DLedgerStoreOptions options;
  options.store_root = dir.path();
  options.self_id = "n0";  // default file sizes: 1 GiB data files, as mappedFileSizeCommitLog
  auto store = DLedgerEntryStore::open(posix, options);
  const rmq::common::Bytes body(body_bytes, 0x42);
  std::int64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store->append_as_leader(1, body).pos);
    if (entries_per_sync > 0 && ++n % entries_per_sync == 0) store->sync();
  }
  report(state);
}

void PlainWrite(benchmark::State& state) {
  const auto chunk_bytes = static_cast<std::size_t>(entry_bytes(state));
  const std::int64_t entries_per_sync = state.range(1);
  CaseDir dir;
  const fs::path path = dir.path() / "plain";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError("cannot create the plain file");
    return;
  }
  const std::string chunk(chunk_bytes, 'B');
  std::int64_t n = 0;
  for (auto _ : state) {
    if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
      state.SkipWithError("write failed");
      break;
    }
    if (entries_per_sync > 0 && ++n % entries_per_sync == 0 && ::fdatasync(fd) != 0) {
      state.SkipWithError("fdatasync failed");
      break;
    }
  }
  ::close(fd);
  report(state);
}

// Iterations are fixed per case (about kBytesPerCase each) so that every case writes the same amount and the
// fsync cases do not run for minutes.
void register_cases() {
  for (const std::int64_t body : {1024, 4096}) {
    for (const std::int64_t entries_per_sync : {0, 64}) {
      for (const auto& [name, fn] : {std::pair{"EntryStoreAppend", &EntryStoreAppend}, std::pair{"PlainWrite", &PlainWrite}}) {
        benchmark::RegisterBenchmark(name, fn)
            ->Args({body, entries_per_sync})
            ->ArgNames({"body", "per_fsync"})
            ->Iterations(kBytesPerCase / (48 + body))
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_cases();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
