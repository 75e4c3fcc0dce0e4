// Phase 6, verify: prove that what the nodes hold is what the source holds, by reading it back.
//
// Every copied file is read back from each node and hashed (MD5, the runbook's tool, so an operator can
// cross-check with md5sum); the hash must equal the source's. Then the invariant replication relies on
// (DESIGN rule 6) is checked directly: every node's commitlog directory holds exactly the source's commitlog
// file names, each with the source's hash, so the three legacy commitlogs are byte-identical; and no node
// root holds a file the migration did not put there.
//
// Reading back is pipelined with the copy: the pipeline is the copy phase's CopyObserver, and one worker per
// node hashes each file as soon as it is settled on that node (synced and renamed) and its source hash is
// known, while the other copies are still being made. Copying is bound by the kernel's page copies and the
// disk, hashing by the CPU, so the two overlap instead of adding up. finish() then waits for the last
// hashes and makes the whole-node checks; the phase is complete only when it returns without failures.
//
// Every run that gets this far reads back every copy, including those an earlier, interrupted run copied and
// verified: the copies may have sat on disk for days, and the run that completes a migration is the one
// that vouches for all of it. Results are journaled (`verified` with the hash, for the record; `mismatch`
// voids the copy so that the next run copies that file again). Nothing is written but the journal, so a
// crash here costs nothing but hashing again.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "migrate/journal.h"
#include "migrate/journal_state.h"
#include "migrate/migrate_copy.h"
#include "migrate/migrate_inventory.h"
#include "migrate/migrate_plan.h"

namespace rmq::migrate {

struct VerifyPhaseResult {
  std::size_t files_hashed = 0;          // (node, file) pairs read back by this run
  std::uint64_t bytes_read = 0;
  std::vector<std::string> failures;     // one line each: a hash mismatch, a missing or unexpected file
  std::map<std::string, std::map<std::string, std::string>> node_md5;  // node -> path -> read-back MD5
  std::string detail;

  bool ok() const { return failures.empty(); }
};

class VerifyPipeline final : public CopyObserver {
 public:
  // Starts one worker per node. `progress_bytes` advances by the bytes hashed. The references must outlive
  // the pipeline.
  VerifyPipeline(const MigrationPlan& plan, const Inventory& inventory, JournalWriter& journal,
                 std::atomic<std::uint64_t>& progress_bytes);
  // Stops the workers (after finish(), or abandoning the queued work when the copy failed) and joins them.
  ~VerifyPipeline() override;
  VerifyPipeline(const VerifyPipeline&) = delete;
  VerifyPipeline& operator=(const VerifyPipeline&) = delete;

  void source_hashed(const std::string& path, const std::string& md5) override;
  void settled(std::size_t node_index, std::size_t item_index) override;

  // Call once the copy phase has settled every file on every node: waits for the hashing to finish, then
  // checks the nodes as a whole. Throws common::IoError when a node's file cannot be read.
  VerifyPhaseResult finish();

 private:
  struct Work {
    std::size_t item_index;
  };
  struct NodeOutcome {
    std::map<std::string, std::string> md5;  // path -> read-back MD5
    std::vector<std::string> failures;
    std::size_t hashed = 0;
    std::uint64_t bytes = 0;
    std::exception_ptr error;
  };

  void run_worker(std::size_t node_index);
  void verify_one(const NodeTarget& node, const Work& work, const std::string& expected_md5, NodeOutcome& out);
  void stop_workers(bool abandon);

  const MigrationPlan& plan_;
  const Inventory& inventory_;
  JournalWriter& journal_;
  std::atomic<std::uint64_t>& progress_bytes_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::string> source_md5_;  // guarded by mutex_
  std::vector<std::deque<Work>> queues_;           // per node, guarded by mutex_
  bool closed_ = false;                            // no more work will come
  bool abandoned_ = false;                         // stop now, leave the queues
  std::vector<NodeOutcome> outcomes_;              // each written by its own worker only
  std::vector<std::thread> workers_;
};

}  // namespace rmq::migrate
