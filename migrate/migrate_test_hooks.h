// Test hook: lets the interruption tests kill `rmqctl migrate` with SIGKILL at chosen points, the way a
// power cut or an operator's kill -9 would, so that resuming can be tested at each of them. Only the test
// build `rmqctl-test-hooks` (tools/rmqctl/migrate_cmd.cc compiled with RMQ_MIGRATE_TEST_HOOKS) reads the
// variables below from its environment; the rmqctl operators run never does, so a stray variable in a
// production shell cannot kill a migration.
//
//   RMQ_MIGRATE_TEST_KILL_AT=files:N     after the N-th file copy of this run is renamed and journaled
//   RMQ_MIGRATE_TEST_KILL_AT=half:N      with the N-th file copy half written under its temporary name
//   RMQ_MIGRATE_TEST_KILL_AT=renamed:N   after the N-th file copy is renamed into place, before the journal
//                                        records it
//   RMQ_MIGRATE_TEST_KILL_AT=phase:NAME  right after phase NAME (check, copy, verify, configure) is journaled
//   RMQ_MIGRATE_TEST_KILL_AFTER_FILES=N  the same as files:N
//
// File copies are counted across all nodes in completion order (the nodes are copied concurrently), starting
// at 1 in each run. The process raises SIGKILL on itself, so no destructor, atexit handler or buffered write
// runs: what is on disk is exactly what a crash at that point would leave.
#pragma once

#include <atomic>
#include <optional>
#include <string>

namespace rmq::migrate {

class TestHooks {
 public:
  enum class Point { kNone, kFilesJournaled, kHalfWritten, kRenamed, kPhase };

  TestHooks() = default;
  // Parses a RMQ_MIGRATE_TEST_KILL_AT value; throws common::ConfigError for a malformed one (a typo must not
  // silently turn a fault test into a plain run).
  static TestHooks parse(const std::string& kill_at);

  // Copies carry the kill point, not the counts: a copy starts counting from zero.
  TestHooks(const TestHooks& other) : point_(other.point_), n_(other.n_), phase_(other.phase_) {}
  TestHooks& operator=(const TestHooks& other);

  bool enabled() const { return point_ != Point::kNone; }
  std::string description() const;

  // Called by the copy phase and the runner; each may end the process.
  void file_half_written();
  void file_renamed();
  void file_journaled();
  void phase_journaled(const std::string& phase) const;

 private:
  void count(Point point, std::atomic<int>& counter);

  Point point_ = Point::kNone;
  int n_ = 0;
  std::string phase_;
  std::atomic<int> half_written_{0};
  std::atomic<int> renamed_{0};
  std::atomic<int> journaled_{0};
};

}  // namespace rmq::migrate
