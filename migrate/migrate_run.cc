#include "migrate/migrate_run.h"

#include <chrono>
#include <memory>
#include <optional>
#include <system_error>

#include "broker/common/exit_code.h"
#include "broker/common/file_system_posix.h"
#include "broker/common/java_properties.h"
#include "broker/common/mapped_file.h"
#include "broker/common/progress.h"
#include "migrate/journal.h"
#include "migrate/journal_state.h"
#include "migrate/migrate_check.h"
#include "migrate/migrate_configure.h"
#include "migrate/migrate_copy.h"
#include "migrate/migrate_discover.h"
#include "migrate/migrate_inventory.h"
#include "migrate/migrate_preflight.h"
#include "migrate/migrate_stop.h"
#include "migrate/migrate_verify.h"
#include "migrate/process_brokers.h"

namespace rmq::migrate {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One run's state as it moves through the phases.
class Run {
 public:
  Run(const MigrationRequest& request, RunOptions& options) : request_(request), options_(options) {
    for (const char* name : kPhaseNames) report_.phases.push_back({name, PhaseStatus::kNotRun, "", 0});
    report_.dry_run = request.dry_run;
    report_.phase("start").status = PhaseStatus::kSkipped;
    report_.phase("start").detail = "not asked for: --start, or rmqctl start --conf-dir <conf-out>, starts the group";
  }

  MigrationReport execute() {
    try {
      run_phases();
    } catch (const common::ConfigError& e) {
      fail_current(common::kExitUsage, e.what());
    } catch (const JournalError& e) {
      fail_current(common::kExitIo, std::string("journal: ") + e.what());
    } catch (const common::IoError& e) {
      fail_current(common::kExitIo, std::string("I/O error: ") + e.what());
    } catch (const std::exception& e) {
      // Not expected (out of memory, a library failure): still end with the table and the journal intact.
      fail_current(common::kExitIo, std::string("error: ") + e.what());
    }
    return std::move(report_);
  }

 private:
  void begin(const char* phase) {
    current_ = phase;
    phase_start_ = Clock::now();
  }
  void finish(PhaseStatus status, const std::string& detail) {
    PhaseRow& row = report_.phase(current_);
    row.status = status;
    row.detail = detail;
    row.seconds = seconds_since(phase_start_);
  }
  void fail_current(int exit_code, const std::string& message) {
    report_.exit_code = exit_code;
    report_.messages.push_back(message);
    finish(exit_code == common::kExitRefused ? PhaseStatus::kRefused : PhaseStatus::kFailed, message);
  }
  void journal_phase(const std::string& phase, const std::string& detail, const nlohmann::json& data = nullptr) {
    nlohmann::json record = journal_record::phase(phase, detail);
    if (!data.is_null()) record["data"] = data;
    journal_->append(record);
    options_.hooks.phase_journaled(phase);
  }

  void run_phases() {
    if (!discover_phase()) return;
    if (finished_earlier()) return;
    if (!preflight_phase()) return;
    if (request_.dry_run) {
      list_dry_run();
      return;
    }
    if (options_.confirm) {
      if (const int rc = options_.confirm(report_); rc != 0) {
        report_.exit_code = rc;
        report_.messages.push_back("not confirmed: nothing was changed");
        return;
      }
    }
    if (!stop_phase()) return;
    if (!check_phase()) return;
    if (!open_journal()) return;
    if (!copy_and_verify_phases()) return;
    configure_phase();
  }

  // --- discover -----------------------------------------------------------------------------------------
  bool discover_phase() {
    begin("discover");
    discovery_ = discover(request_);
    const MigrationPlan& plan = discovery_->plan;
    report_.plan = plan;
    const OldBroker& source = plan.source_broker();
    std::error_code ec;
    if (!fs::is_directory(source.location.commitlog_dir, ec)) {
      throw common::ConfigError(source.config_path.string() + ": the " + source.role + "'s commitlog directory " +
                                source.location.commitlog_dir.string() + " does not exist");
    }
    inventory_ = take_inventory(source.location, source.file_size_bytes);
    if (plan.slave) {
      const OldBroker& other = plan.source == SourceRole::kMaster ? *plan.slave : plan.master;
      if (!fs::is_directory(other.location.commitlog_dir, ec)) {
        throw common::ConfigError(other.config_path.string() + ": the " + other.role + "'s commitlog directory " +
                                  other.location.commitlog_dir.string() + " does not exist");
      }
      other_commitlog_ = store::list_commitlog_files(other.location.commitlog_dir, other.file_size_bytes);
    }
    fill_files(nullptr);
    try {
      if (auto contents = read_journal(plan.journal_path)) journal_state_ = replay_journal(contents->records);
    } catch (const JournalError& e) {
      journal_error_ = e.what();
    } catch (const common::IoError& e) {
      journal_error_ = e.what();
    }
    report_.resumed = journal_state_ && journal_state_->plan_id == plan.plan_id;
    std::string detail = std::string(to_string(plan.mode)) + ": source " + source.role + " " +
                         source.location.store_root.string() + " (brokerName " + plan.group + ", " +
                         std::to_string(inventory_->items.size()) + " files, " +
                         common::human_bytes(static_cast<double>(inventory_->total_bytes())) + "); " +
                         std::to_string(plan.nodes.size()) + " nodes under " + plan.target_root.string();
    finish(PhaseStatus::kDone, detail);
    return true;
  }

  void fill_files(const std::map<std::string, std::string>* md5s) {
    report_.files.clear();
    for (const auto& item : inventory_->items) {
      FileRow row{item.rel_path, to_string(item.kind), item.source_path, item.size_bytes, ""};
      if (md5s != nullptr) {
        const auto it = md5s->find(item.rel_path);
        if (it != md5s->end()) row.md5 = it->second;
      }
      report_.files.push_back(row);
    }
  }

  // A re-run of a finished migration: the summary, from the journal, and nothing else.
  bool finished_earlier() {
    if (!journal_state_ || !report_.resumed || !journal_state_->finished()) return false;
    const JournalState& j = *journal_state_;
    report_.already_finished = true;
    report_.files.clear();
    for (const auto& item : j.inventory) {
      FileRow row;
      row.rel_path = item.value("path", "");
      row.kind = row.rel_path.substr(0, row.rel_path.find('/'));
      row.size_bytes = item.value("size", std::uint64_t{0});
      const auto md5 = j.source_md5.find(row.rel_path);
      if (md5 != j.source_md5.end()) row.md5 = md5->second;
      row.source_path = report_.plan->source_broker().location.store_root / row.rel_path;
      report_.files.push_back(row);
    }
    for (const auto& node : report_.plan->nodes) {
      const auto c = j.configs.find(node.id);
      if (c != j.configs.end()) report_.configs.push_back({node.id, c->second.first, "", c->second.second});
    }
    const auto check = j.phase_data.find("check");
    if (check != j.phase_data.end()) report_.check = check->second;
    for (const char* name : kPhaseNames) {
      PhaseRow& row = report_.phase(name);
      if (row.name == "discover" || row.name == "start") continue;
      if (j.phase_done(row.name)) {
        row.status = PhaseStatus::kEarlier;
        const auto d = j.phase_details.find(row.name);
        row.detail = d != j.phase_details.end() ? d->second : "";
      }
    }
    const auto diffs = inventory_differences(j.inventory, inventory_json(*inventory_), 3);
    if (!diffs.empty()) {
      report_.notes.push_back("the source has changed since this migration copied it (" + diffs.front() +
                              "): the old broker was started again? The nodes hold the state of the migration");
    }
    report_.notes.push_back("this migration finished earlier (" + report_.plan->journal_path.string() +
                            "): nothing to do");
    return true;
  }

  // --- preflight ----------------------------------------------------------------------------------------
  bool preflight_phase() {
    begin("preflight");
    const MigrationPlan& plan = discovery_->plan;
    running_ = find_brokers(options_.proc_root, old_broker_targets(plan));
    PreflightInput in;
    in.discovery = &*discovery_;
    in.source_inventory = &*inventory_;
    in.other_commitlog = other_commitlog_ ? &*other_commitlog_ : nullptr;
    in.running_brokers = &running_;
    in.stop_requested = request_.stop;
    in.journal = journal_state_ ? &*journal_state_ : nullptr;
    in.journal_error = journal_error_;
    const PreflightResult r = run_preflight(in);
    report_.problems = r.problems;
    report_.notes.insert(report_.notes.end(), r.notes.begin(), r.notes.end());
    if (discovery_->gen_conf) {
      for (const auto& f : discovery_->gen_conf->files) report_.configs.push_back({f.node.self_id, f.path, f.text, ""});
    }
    if (!r.ok()) {
      report_.exit_code = r.exit_code();
      finish(r.exit_code() == common::kExitRefused ? PhaseStatus::kRefused : PhaseStatus::kFailed,
             std::to_string(r.problems.size()) + " problem(s) found");
      return false;
    }
    finish(PhaseStatus::kDone, "no problems; " + common::human_bytes(static_cast<double>(r.bytes_to_write)) +
                                   " to write" + (report_.resumed ? " (resuming)" : ""));
    return true;
  }

  void list_dry_run() {
    for (const char* name : {"stop", "check", "copy", "verify", "configure"}) {
      report_.phase(name).status = PhaseStatus::kPlanned;
    }
    report_.phase("stop").detail = running_.empty()
                                       ? "no old broker running"
                                       : std::to_string(running_.size()) + " broker(s) to stop with SIGTERM";
    report_.phase("check").detail = "check-commitlog comparison, master is the source unless --source slave";
    report_.phase("copy").detail = std::to_string(report_.files.size()) + " files to each of " +
                                   std::to_string(report_.plan->nodes.size()) + " nodes";
    report_.phase("verify").detail = "MD5 of every copy read back";
    report_.phase("configure").detail = std::to_string(report_.configs.size()) + " broker configs";
  }

  // --- stop ---------------------------------------------------------------------------------------------
  bool stop_phase() {
    begin("stop");
    const StopPhaseResult r = run_stop_phase(discovery_->plan, options_.proc_root, request_.stop,
                                             request_.stop_timeout_s * 1000);
    report_.messages.insert(report_.messages.end(), r.messages.begin(), r.messages.end());
    if (!r.ok()) {
      report_.exit_code = r.exit_code;
      finish(PhaseStatus::kRefused, r.detail);
      return false;
    }
    finish(PhaseStatus::kDone, r.detail);
    stop_detail_ = r.detail;
    if (!r.found.empty()) {
      // Shutting down rewrote the brokers' config JSON and consume queues: list the source again.
      const OldBroker& source = discovery_->plan.source_broker();
      inventory_ = take_inventory(source.location, source.file_size_bytes);
      fill_files(nullptr);
    }
    return true;
  }

  // --- check --------------------------------------------------------------------------------------------
  bool check_phase() {
    begin("check");
    check_ = run_check_phase(discovery_->plan, options_.show_progress);
    report_.check = check_->journal_data();
    report_.messages.insert(report_.messages.end(), check_->messages.begin(), check_->messages.end());
    if (!check_->ok()) {
      report_.exit_code = check_->exit_code;
      finish(check_->exit_code == common::kExitRefused ? PhaseStatus::kRefused : PhaseStatus::kFailed,
             check_->detail);
      return false;
    }
    finish(PhaseStatus::kDone, check_->detail);
    return true;
  }

  // The journal is created (or reopened) only now: everything before wrote nothing.
  bool open_journal() {
    begin("copy");
    const MigrationPlan& plan = discovery_->plan;
    const nlohmann::json inventory = inventory_json(*inventory_);
    if (journal_state_ && report_.resumed) {
      const auto diffs = inventory_differences(journal_state_->inventory, inventory);
      if (!diffs.empty()) {
        std::string list;
        for (const auto& d : diffs) list += "\n  " + d;
        report_.exit_code = common::kExitRefused;
        report_.messages.push_back(
            "the source changed since this migration began copying it; the copies already made are of the old "
            "state and must not be mixed with the new one. Remove the node directories, the configs and " +
            plan.journal_path.string() + ", then run again. Changes:" + list);
        finish(PhaseStatus::kRefused, "the source changed since copying began");
        return false;
      }
      journal_ = JournalWriter::open_existing(plan.journal_path);
    } else {
      common::PosixFileSystem posix;
      common::create_dirs_durably(posix, plan.target_root);
      journal_ = JournalWriter::create(plan.journal_path,
                                       journal_record::plan(plan.plan_id, plan.identity(), inventory));
      journal_state_ = replay_journal({journal_record::plan(plan.plan_id, plan.identity(), inventory)});
    }
    journal_phase("discover", report_.phase("discover").detail);
    journal_phase("preflight", report_.phase("preflight").detail);
    journal_phase("stop", stop_detail_);
    journal_phase("check", check_->detail, check_->journal_data());
    return true;
  }

  // --- copy and verify (pipelined: copies are read back while the others are made) ----------------------
  bool copy_and_verify_phases() {
    begin("copy");
    const MigrationPlan& plan = discovery_->plan;
    // The check phase hashed the source's newest commitlog files already (the runbook's md5sum step).
    std::map<std::string, std::string> known_md5;
    for (const auto& d : check_->source_side().recent_digests) {
      for (const auto& item : inventory_->items) {
        if (item.rel_path == "commitlog/" + d.name && item.size_bytes == d.size_bytes) known_md5[item.rel_path] = d.md5;
      }
    }
    std::uint64_t total = 0;
    for (const auto& item : inventory_->items) {
      const bool hash_source =
          journal_state_->source_md5.count(item.rel_path) == 0 && known_md5.count(item.rel_path) == 0;
      total += (hash_source ? item.size_bytes : 0) +
               plan.nodes.size() * (std::min(item.allocated_bytes, item.size_bytes) + item.size_bytes);
    }
    common::ProgressLine progress("copying and verifying", total, options_.show_progress);
    VerifyPipeline pipeline(plan, *inventory_, *journal_, progress.counter());
    const CopyPhaseResult copied = run_copy_phase(plan, *inventory_, *journal_state_, known_md5, *journal_,
                                                  options_.hooks, pipeline, progress.counter());
    source_md5_ = copied.source_md5;
    fill_files(&source_md5_);
    report_.copy_bytes_this_run = copied.bytes_copied;
    journal_phase("copy", copied.detail);
    finish(PhaseStatus::kDone, copied.detail);

    begin("verify");
    const VerifyPhaseResult verified = pipeline.finish();
    progress.stop();
    if (!verified.ok()) {
      report_.messages.insert(report_.messages.end(), verified.failures.begin(), verified.failures.end());
      report_.exit_code = common::kExitIo;
      finish(PhaseStatus::kFailed, verified.detail);
      return false;
    }
    journal_phase("verify", verified.detail);
    finish(PhaseStatus::kDone, verified.detail);
    return true;
  }

  void configure_phase() {
    begin("configure");
    if (!discovery_->gen_conf) throw common::ConfigError("no configs were laid out (see preflight)");
    const ConfigurePhaseResult r = run_configure_phase(discovery_->plan, *discovery_->gen_conf, *journal_);
    for (auto& c : report_.configs) {
      for (const auto& w : r.configs) {
        if (w.node_id == c.node_id) c.md5 = w.md5;
      }
    }
    journal_phase("configure", r.detail);
    finish(PhaseStatus::kDone, r.detail);
  }

  const MigrationRequest& request_;
  RunOptions& options_;
  MigrationReport report_;
  const char* current_ = "discover";
  Clock::time_point phase_start_ = Clock::now();

  std::optional<Discovery> discovery_;
  std::optional<Inventory> inventory_;
  std::optional<store::CommitlogFiles> other_commitlog_;
  std::optional<JournalState> journal_state_;
  std::string journal_error_;
  std::vector<FoundBroker> running_;
  std::string stop_detail_;
  std::optional<CheckPhaseResult> check_;
  std::unique_ptr<JournalWriter> journal_;
  std::map<std::string, std::string> source_md5_;
};

}  // namespace

MigrationReport run_migration(const MigrationRequest& request, RunOptions& options) {
  Run run(request, options);
  return run.execute();
}

}  // namespace rmq::migrate
