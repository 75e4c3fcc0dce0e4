#include "migrate/migrate_output.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "broker/common/progress.h"
#include "broker/store/commitlog_files.h"

namespace rmq::migrate {

namespace {

const char* json_status(PhaseStatus status) {
  switch (status) {
    case PhaseStatus::kNotRun: return "not_run";
    case PhaseStatus::kDone: return "done";
    case PhaseStatus::kEarlier: return "done_earlier";
    case PhaseStatus::kPlanned: return "planned";
    case PhaseStatus::kSkipped: return "skipped";
    case PhaseStatus::kFailed: return "failed";
    case PhaseStatus::kRefused: return "refused";
  }
  return "?";
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string bytes_text(std::uint64_t bytes) {
  return common::human_bytes(static_cast<double>(bytes)) + " (" + std::to_string(bytes) + " bytes)";
}

std::int64_t check_int(const nlohmann::json& check, const char* key, std::int64_t fallback) {
  if (!check.is_object() || !check.contains(key) || !check[key].is_number_integer()) return fallback;
  return check[key].get<std::int64_t>();
}

bool complete(const MigrationReport& r) {
  return r.exit_code == 0 && !r.dry_run && r.plan.has_value() &&
         std::all_of(r.phases.begin(), r.phases.end(), [](const PhaseRow& p) {
           return p.name == "start" || p.status == PhaseStatus::kDone || p.status == PhaseStatus::kEarlier;
         });
}

std::string dledger_line(const MigrationReport& r) {
  const std::int64_t divided = check_int(r.check, "divided_offset", -1);
  if (divided < 0) return "DLedger log begins at offset 0 (no legacy commitlog)";
  return "DLedger log begins at offset " + std::to_string(divided) + " (data file " +
         store::commitlog_file_name(divided) + "); its first message gets PHYSICALOFFSET " +
         std::to_string(check_int(r.check, "first_physical_offset", divided + 48));
}

void append_nodes(const MigrationReport& r, std::string& out) {
  const MigrationPlan& plan = *r.plan;
  out += "Nodes (group " + plan.group + ", peers " + plan.peers + "):\n";
  for (const auto& n : plan.nodes) {
    out += "  " + pad(n.id, 4) + pad(n.peer_address, 22) + "store " + n.store_root.string() + "\n";
    out += "      config " + n.config_path.string() + "\n";
    if (!r.dry_run) out += "      " + dledger_line(r) + "\n";
  }
}

void append_files(const MigrationReport& r, std::string& out) {
  std::map<std::string, std::pair<std::size_t, std::uint64_t>> per_kind;
  for (const auto& f : r.files) {
    per_kind[f.kind].first++;
    per_kind[f.kind].second += f.size_bytes;
  }
  const std::size_t nodes = r.plan->nodes.size();
  out += "Files: " + std::to_string(r.files.size()) + " per node (";
  bool first = true;
  for (const auto& [kind, v] : per_kind) {
    out += (first ? "" : ", ") + std::to_string(v.first) + " " + kind;
    first = false;
  }
  out += "), " + bytes_text(r.total_file_bytes()) + " per node, " +
         common::human_bytes(static_cast<double>(r.total_file_bytes() * nodes)) + " on " + std::to_string(nodes) +
         " nodes\n";
  for (const auto& f : r.files) {
    if (f.kind == "consumequeue") continue;
    out += "  " + pad(f.rel_path, 40) + pad(std::to_string(f.size_bytes), 12) + "md5 " + f.md5 + "\n";
  }
  const auto cq = per_kind.find("consumequeue");
  if (cq != per_kind.end()) {
    out += "  consumequeue/: " + std::to_string(cq->second.first) + " files, " +
           common::human_bytes(static_cast<double>(cq->second.second)) +
           " (each file's MD5 is in the journal and in -o json)\n";
  }
}

void append_summary(const MigrationReport& r, std::string& out) {
  const MigrationPlan& plan = *r.plan;
  const OldBroker& source = plan.source_broker();
  out += "\n";
  out += r.already_finished ? "This migration was finished by an earlier run; nothing was done now.\n"
                            : "Migration complete.\n";
  out += "Source: the " + source.role + " " + source.location.store_root.string() + " (" +
         source.config_path.string() + ")";
  if (r.check.is_object()) {
    out += ", check verdict " + r.check.value("verdict", std::string("?")) + ", " +
           std::to_string(check_int(r.check, "record_count", 0)) + " records, legacy max offset " +
           std::to_string(check_int(r.check, "max_offset", 0));
    const auto& dropped = r.check.value("dropped_records", nlohmann::json::object());
    if (dropped.value("count", 0) > 0) {
      out += "; " + std::to_string(dropped.value("count", 0)) + " " + dropped.value("from", std::string("?")) +
             " record(s) at [" + std::to_string(dropped.value("first_offset", std::int64_t{-1})) + ", " +
             std::to_string(dropped.value("end_offset", std::int64_t{-1})) + ") were not migrated";
    }
  }
  out += "\n\n";
  append_nodes(r, out);
  out += "\n";
  append_files(r, out);
  out += "Every copy was read back: its MD5 equals the source's, and the " + std::to_string(plan.nodes.size()) +
         " nodes' legacy commitlogs are byte-identical to the source's.\n";
  out += "Configs:\n";
  for (const auto& c : r.configs) out += "  " + pad(c.node_id, 4) + c.path.string() + "  md5 " + c.md5 + "\n";
  out += "Journal: " + plan.journal_path.string() + "\n\n";
  out += rollback_text(plan);
}

void append_dry_run(const MigrationReport& r, std::string& out) {
  const MigrationPlan& plan = *r.plan;
  const OldBroker& source = plan.source_broker();
  out += "\nDry run: nothing was stopped, copied or written.\n\n";
  append_nodes(r, out);
  out += "\nWould copy " + std::to_string(r.files.size()) + " files, " + bytes_text(r.total_file_bytes()) +
         ", from the " + source.role + " (" + source.location.store_root.string() + ") to each node's store root:\n";
  for (const auto& f : r.files) {
    out += "  " + pad(f.rel_path, 48) + pad(std::to_string(f.size_bytes), 12) + "from " + f.source_path.string() + "\n";
  }
  out += "Never copied: abort, lock, checkpoint, index/.\n";
  out += "\nWould write " + std::to_string(r.configs.size()) + " configs:\n";
  for (const auto& c : r.configs) {
    out += "--- " + c.path.string() + " (node " + c.node_id + ")\n" + c.text;
    if (!c.text.empty() && c.text.back() != '\n') out += "\n";
  }
}

}  // namespace

std::string rollback_text(const MigrationPlan& plan) {
  std::string out =
      "Rollback: the source stores were not changed. Until the new group's first start, roll back by starting "
      "the old brokers again:\n";
  out += "  sh bin/mqbroker -c " + plan.master.config_path.string() + "\n";
  if (plan.slave) out += "  sh bin/mqbroker -c " + plan.slave->config_path.string() + "\n";
  out += "and removing the node directories, the configs and the journal:\n  rm -r";
  for (const auto& n : plan.nodes) out += " " + n.store_root.string();
  for (const auto& n : plan.nodes) out += " " + n.config_path.string();
  out += " " + plan.journal_path.string() + "\n";
  out +=
      "The first start of the new group is the point of no return: each node closes its legacy log with a blank "
      "and begins its DLedger log, and messages sent from then on exist only in the new group.\n";
  out += "Next: rmqctl start --conf-dir " + plan.conf_out.string() +
         " (nodes on this machine), or start each node with its config on its machine (rmq-broker -c <config>, "
         "after moving its store there if it is not already).\n";
  return out;
}

std::string phase_table_text(const MigrationReport& r) {
  std::string out = pad("PHASE", 11) + pad("STATUS", 14) + pad("TIME", 8) + "DETAIL\n";
  for (const auto& p : r.phases) {
    char time[32] = "";
    if (p.status == PhaseStatus::kDone || p.status == PhaseStatus::kFailed || p.status == PhaseStatus::kRefused) {
      std::snprintf(time, sizeof time, "%.1fs", p.seconds);
    }
    out += pad(p.name, 11) + pad(to_string(p.status), 14) + pad(time, 8) + p.detail + "\n";
  }
  return out;
}

std::string report_text(const MigrationReport& r) {
  std::string out;
  if (!r.problems.empty()) {
    out += "Found problems:\n";
    for (const auto& p : r.problems) {
      out += std::string("  - ") + (p.problem_class == ProblemClass::kRefusal ? "[refused] " : "") + p.text + "\n";
    }
    out += "\n";
  }
  if (!r.messages.empty()) {
    for (const auto& m : r.messages) out += m + "\n";
    out += "\n";
  }
  out += phase_table_text(r);
  if (r.dry_run && r.plan) {
    append_dry_run(r, out);
  } else if (complete(r)) {
    append_summary(r, out);
  } else if (r.plan && r.exit_code != 0) {
    bool wrote = false;
    for (const auto& p : r.phases) {
      if (p.name == "copy" && p.status != PhaseStatus::kNotRun) wrote = true;
    }
    out += wrote ? "\nThe migration stopped part way; the source is unchanged. Fix the cause and run the same "
                   "command again: it resumes from the journal " + r.plan->journal_path.string() + ".\n"
                 : "\nNothing was written; the source is unchanged.\n";
  }
  return out;
}

std::string notes_text(const MigrationReport& r) {
  std::string out;
  for (const auto& n : r.notes) out += "rmqctl migrate: note: " + n + "\n";
  return out;
}

nlohmann::json report_json(const MigrationReport& r) {
  nlohmann::json j;
  j["command"] = "migrate";
  j["exit_code"] = r.exit_code;
  j["dry_run"] = r.dry_run;
  j["resumed"] = r.resumed;
  j["already_finished"] = r.already_finished;
  j["complete"] = complete(r);
  j["phases"] = nlohmann::json::array();
  for (const auto& p : r.phases) {
    j["phases"].push_back({{"name", p.name}, {"status", json_status(p.status)}, {"detail", p.detail},
                           {"seconds", p.seconds}});
  }
  j["problems"] = nlohmann::json::array();
  for (const auto& p : r.problems) {
    j["problems"].push_back(
        {{"class", p.problem_class == ProblemClass::kRefusal ? "refusal" : "problem"}, {"text", p.text}});
  }
  j["messages"] = r.messages;
  j["notes"] = r.notes;
  j["check"] = r.check;
  if (!r.plan) {
    j["plan"] = nullptr;
    return j;
  }
  const MigrationPlan& plan = *r.plan;
  const OldBroker& source = plan.source_broker();
  j["plan_id"] = plan.plan_id;
  j["journal"] = plan.journal_path.string();
  j["group"] = plan.group;
  j["peers"] = plan.peers;
  j["plan"] = plan.identity();
  j["source"] = {{"role", source.role},
                 {"config", source.config_path.string()},
                 {"store_root", source.location.store_root.string()},
                 {"commitlog_dir", source.location.commitlog_dir.string()}};
  const std::int64_t divided = check_int(r.check, "divided_offset", -1);
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : plan.nodes) {
    nlohmann::json node{{"id", n.id},
                        {"peer", n.peer_address},
                        {"store_root", n.store_root.string()},
                        {"commitlog_dir", n.commitlog_dir.string()},
                        {"config", n.config_path.string()}};
    node["dledger_begins_at"] = r.check.is_object() ? nlohmann::json(std::max<std::int64_t>(divided, 0)) : nullptr;
    j["nodes"].push_back(node);
  }
  j["files"] = nlohmann::json::array();
  for (const auto& f : r.files) {
    j["files"].push_back({{"path", f.rel_path},
                          {"kind", f.kind},
                          {"source", f.source_path.string()},
                          {"size", f.size_bytes},
                          {"md5", f.md5.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.md5)}});
  }
  j["bytes_per_node"] = r.total_file_bytes();
  j["bytes_copied_this_run"] = r.copy_bytes_this_run;  // data bytes moved (holes excluded)
  j["bytes_total"] = r.total_file_bytes() * plan.nodes.size();
  j["configs"] = nlohmann::json::array();
  for (const auto& c : r.configs) {
    nlohmann::json cj{{"node", c.node_id}, {"path", c.path.string()},
                      {"md5", c.md5.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.md5)}};
    if (r.dry_run) cj["text"] = c.text;
    j["configs"].push_back(cj);
  }
  j["rollback"] = rollback_text(plan);
  return j;
}

}  // namespace rmq::migrate
