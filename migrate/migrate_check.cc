#include "migrate/migrate_check.h"

#include "broker/common/exit_code.h"

namespace rmq::migrate {

namespace {

std::string range_text(const store::RecordRange& r) {
  return std::to_string(r.count) + " record(s) at offsets [" + std::to_string(r.first_offset) + ", " +
         std::to_string(r.end_offset) + ")";
}

// The master's records from `begin` to its end: what choosing the slave drops.
store::RecordRange master_records_from(const SideReport& master, std::int64_t begin) {
  if (begin >= master.scan.max_offset) return {};
  return store::count_records(master.files, begin, master.scan.max_offset);
}

std::string corruption_text(const SideReport& side) {
  const store::StoreProblem* p = side.first_corruption();
  if (p == nullptr) return side.role + " is intact";
  return "the " + side.role + "'s commitlog " + side.location.commitlog_dir.string() + " is corrupt at offset " +
         (p->offset ? std::to_string(*p->offset) : std::string("?")) + " (" + p->kind + ": " + p->detail + ")";
}

void decide_master_only(CheckPhaseResult& r) {
  const SideReport& m = r.report.master;
  if (r.report.verdict == Verdict::kCorrupt) {
    r.exit_code = common::kExitCorrupt;
    r.messages.push_back(corruption_text(m) + "; recovery would truncate the log there: restore that file from a "
                         "replica, then run again");
    r.detail = "CORRUPT: master at offset " +
               std::to_string(m.first_corruption()->offset.value_or(-1));
    return;
  }
  r.detail = "master intact: " + std::to_string(m.scan.record_count) + " records, offsets [" +
             std::to_string(m.scan.min_offset) + ", " + std::to_string(m.scan.max_offset) + ")";
}

void decide_with_master_source(CheckPhaseResult& r) {
  const SideReport& m = r.report.master;
  const SideReport& s = r.report.slaves.at(0);
  const SlaveComparison& c = r.report.comparisons.at(0);
  const std::string verdict = to_string(c.verdict);
  switch (c.verdict) {
    case Verdict::kConsistent:
    case Verdict::kSlaveBehind:
    case Verdict::kSlaveMissingFiles:
      r.detail = verdict + ": the master holds every record (" + std::to_string(m.scan.record_count) +
                 " records, max offset " + std::to_string(m.scan.max_offset) + "); source: master";
      return;
    case Verdict::kSlaveAhead:
      r.exit_code = common::kExitProblems;
      r.messages.push_back("the slave holds " + range_text(c.slave_only_records) +
                           " that the master lacks (the master ends at " + std::to_string(m.scan.max_offset) +
                           "); copying the master would drop them");
      r.messages.push_back("to keep them, re-run with --source slave: the slave holds every record the master "
                           "does, so nothing is dropped");
      r.detail = verdict + ": " + std::to_string(c.slave_only_records.count) + " record(s) only on the slave";
      return;
    case Verdict::kDiverged: {
      const std::int64_t at = c.first_difference_offset.value_or(-1);
      r.exit_code = common::kExitProblems;
      r.messages.push_back("master and slave hold different records from offset " + std::to_string(at) +
                           ": copying the master (the default) drops the slave's " + range_text(c.slave_only_records));
      r.messages.push_back("--source slave keeps the slave's and drops the master's " +
                           range_text(master_records_from(m, at)) + "; find out why they diverged before choosing");
      r.detail = verdict + " at offset " + std::to_string(at);
      return;
    }
    case Verdict::kCorrupt:
      r.exit_code = common::kExitCorrupt;
      if (m.first_corruption() != nullptr) {
        r.messages.push_back(corruption_text(m) + "; recovery would truncate the log there");
        if (s.first_corruption() == nullptr) {
          r.messages.push_back("--source slave copies the slave instead (its log ends at " +
                               std::to_string(s.scan.max_offset) + "); or restore the master's file from a replica");
        }
      }
      if (s.first_corruption() != nullptr) {
        r.messages.push_back(corruption_text(s) + "; a corrupt slave cannot be compared with the master: repair it, "
                             "or migrate the master alone (--from master, without --slave-conf)");
      }
      r.detail = std::string("CORRUPT: ") + (m.first_corruption() != nullptr ? "master" : "slave") + " at offset " +
                 std::to_string((m.first_corruption() != nullptr ? m : s).first_corruption()->offset.value_or(-1));
      return;
  }
}

void decide_with_slave_source(CheckPhaseResult& r) {
  const SideReport& m = r.report.master;
  const SideReport& s = r.report.slaves.at(0);
  const SlaveComparison& c = r.report.comparisons.at(0);
  const std::string verdict = to_string(c.verdict);
  r.source_is_master = false;
  r.dropped_from = "master";
  if (s.first_corruption() != nullptr) {
    r.exit_code = common::kExitCorrupt;
    r.messages.push_back(corruption_text(s) + ": --source slave cannot copy a corrupt log");
    r.detail = "CORRUPT: slave at offset " + std::to_string(s.first_corruption()->offset.value_or(-1));
    return;
  }
  switch (c.verdict) {
    case Verdict::kSlaveBehind:
    case Verdict::kSlaveMissingFiles:
      r.exit_code = common::kExitRefused;
      r.messages.push_back(std::string("the check found ") + verdict +
                           ": the master holds every record the slave does" +
                           (c.verdict == Verdict::kSlaveBehind
                                ? " and " + range_text(master_records_from(m, s.scan.max_offset)) + " more"
                                : " and older files the slave lacks (before offset " +
                                      std::to_string(s.scan.min_offset) + ")") +
                           ": --source slave would drop them; re-run without --source slave");
      r.detail = verdict + ": --source slave refused";
      return;
    case Verdict::kConsistent:
    case Verdict::kSlaveAhead:
      break;
    case Verdict::kDiverged:
      r.dropped_records = master_records_from(m, c.first_difference_offset.value_or(m.scan.max_offset));
      break;
    case Verdict::kCorrupt:  // only the master is corrupt here
      r.dropped_records = master_records_from(m, c.first_difference_offset.value_or(s.scan.max_offset));
      r.messages.push_back(corruption_text(m));
      break;
  }
  if (r.dropped_records.count > 0) {
    r.messages.push_back("--source slave: the master's " + range_text(r.dropped_records) + " are not migrated");
  }
  r.detail = verdict + "; source: slave (--source slave), " + std::to_string(s.scan.record_count) +
             " records, max offset " + std::to_string(s.scan.max_offset) +
             (r.dropped_records.count > 0 ? ", " + std::to_string(r.dropped_records.count) + " master record(s) dropped"
                                          : std::string());
}

}  // namespace

nlohmann::json CheckPhaseResult::journal_data() const {
  const SideReport& side = source_side();
  return {{"verdict", to_string(report.verdict)},
          {"source", source_is_master ? "master" : "slave"},
          {"min_offset", side.scan.min_offset},
          {"max_offset", side.scan.max_offset},
          {"record_count", side.scan.record_count},
          {"recovery_offset", dledger_start.recovery_offset},
          {"divided_offset", dledger_start.divided_offset},
          {"first_physical_offset", dledger_start.first_physical_offset},
          {"dropped_records",
           {{"count", dropped_records.count},
            {"first_offset", dropped_records.first_offset},
            {"end_offset", dropped_records.end_offset},
            {"from", dropped_from}}}};
}

CheckPhaseResult run_check_phase(const MigrationPlan& plan, bool show_progress) {
  CheckOptions options;
  options.show_progress = show_progress;
  CheckPhaseResult r;
  r.dropped_from = "slave";
  StoreLocation master = plan.master.location;
  master.file_size_bytes = plan.master.file_size_bytes;
  if (!plan.slave) {
    r.report = check_single_store(master, options);
    r.report.master.role = "master";
    decide_master_only(r);
  } else {
    StoreLocation slave = plan.slave->location;
    slave.file_size_bytes = plan.slave->file_size_bytes;
    r.report = check_commitlogs(master, {slave}, options);
    if (plan.source == SourceRole::kMaster) {
      decide_with_master_source(r);
    } else {
      decide_with_slave_source(r);
    }
  }
  r.dledger_start = dledger_start_for(r.source_side().files, r.source_side().scan);
  return r;
}

}  // namespace rmq::migrate
