#include "migrate/migrate_stop.h"

#include <cstdio>
#include <system_error>

#include "broker/common/exit_code.h"

namespace rmq::migrate {

namespace fs = std::filesystem;

std::vector<BrokerTarget> old_broker_targets(const MigrationPlan& plan) {
  std::vector<BrokerTarget> targets{{"master", plan.master.config_path, plan.master.location.store_root}};
  if (plan.slave) targets.push_back({"slave", plan.slave->config_path, plan.slave->location.store_root});
  return targets;
}

StopPhaseResult run_stop_phase(const MigrationPlan& plan, const fs::path& proc_root, bool stop_allowed,
                               int stop_timeout_ms) {
  StopPhaseResult r;
  r.found = find_brokers(proc_root, old_broker_targets(plan));
  if (!r.found.empty() && !stop_allowed) {
    for (const auto& b : r.found) {
      r.messages.push_back("the old " + b.role + " broker is still running: " + b.process.describe() + " (" +
                           b.reason + "); stop it (mqshutdown broker), or pass --stop");
    }
    r.exit_code = common::kExitRefused;
    r.detail = std::to_string(r.found.size()) + " old broker(s) running, --stop not given";
    return r;
  }
  if (!r.found.empty()) {
    std::vector<ProcessInfo> processes;
    for (const auto& b : r.found) processes.push_back(b.process);
    r.outcome = terminate_and_wait(proc_root, processes, stop_timeout_ms);
    for (const auto& p : r.outcome.exited) r.messages.push_back("stopped " + p.describe() + " (SIGTERM)");
    for (const auto& e : r.outcome.errors) r.messages.push_back(e);
    if (!r.outcome.still_running.empty()) {
      char waited[32];
      std::snprintf(waited, sizeof waited, "%.1f", r.outcome.waited_seconds);
      for (const auto& p : r.outcome.still_running) {
        r.messages.push_back(p.describe() + " is still running " + waited +
                             " s after SIGTERM; rmqctl never sends SIGKILL (a killed broker leaves unflushed "
                             "data): find out why it does not stop, stop it, and run again; nothing was copied");
      }
      r.exit_code = common::kExitRefused;
      r.detail = std::to_string(r.outcome.still_running.size()) + " broker(s) did not exit within " +
                 std::to_string(stop_timeout_ms / 1000) + " s";
      return r;
    }
  }
  for (const auto& t : old_broker_targets(plan)) {
    std::error_code ec;
    const fs::path abort_file = t.store_root / "abort";
    if (fs::exists(abort_file, ec)) {
      r.messages.push_back("the " + t.role + " store has an abort file (" + abort_file.string() +
                           "): the broker did not shut down cleanly (killed, crashed, or its dispatch was behind); "
                           "start it and stop it with mqshutdown (SIGTERM) so it flushes, then run again");
      r.exit_code = common::kExitRefused;
    }
  }
  if (r.exit_code != 0) {
    r.detail = "unclean shutdown: abort file present";
    return r;
  }
  r.detail = r.found.empty() ? "no old broker running; clean shutdown (no abort file)"
                             : "stopped " + std::to_string(r.found.size()) + " broker(s) with SIGTERM; clean shutdown";
  return r;
}

}  // namespace rmq::migrate
