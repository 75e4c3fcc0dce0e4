#include "migrate/migrate_preflight.h"

#include <algorithm>
#include <cassert>
#include <fstream>
#include <sstream>
#include <system_error>

#include "broker/common/exit_code.h"
#include "broker/common/progress.h"
#include "broker/store/config_file.h"
#include "migrate/migrate_space.h"

namespace rmq::migrate {

namespace fs = std::filesystem;

namespace {

fs::path comparable(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal() : c;
}

// a is b or lies inside b.
bool is_within(const fs::path& a, const fs::path& b) {
  const fs::path ca = comparable(a);
  const fs::path cb = comparable(b);
  auto ia = ca.begin();
  for (auto ib = cb.begin(); ib != cb.end(); ++ib, ++ia) {
    if (ib->empty()) continue;  // a trailing separator
    if (ia == ca.end() || *ia != *ib) return false;
  }
  return true;
}

bool overlaps(const fs::path& a, const fs::path& b) { return is_within(a, b) || is_within(b, a); }

bool is_empty_or_absent(const fs::path& dir, std::string& why) {
  std::error_code ec;
  const auto status = fs::symlink_status(dir, ec);
  if (ec || !fs::exists(status)) return true;
  if (!fs::is_directory(fs::status(dir, ec))) {
    why = "exists and is not a directory";
    return false;
  }
  // A fresh file system's root holds lost+found: a mount point given as a node's root is still empty.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() == "lost+found" && it->is_directory(ec)) continue;
    why = "is not empty";
    return false;
  }
  if (ec) {
    why = "cannot be listed (" + ec.message() + ")";
    return false;
  }
  return true;
}

void check_old_brokers(const MigrationPlan& plan, PreflightResult& r) {
  auto problem = [&](const std::string& text) { r.problems.push_back({ProblemClass::kProblem, text}); };
  const OldBroker& m = plan.master;
  if (m.broker_role == "SLAVE") {
    problem("--master-conf " + m.config_path.string() + " says brokerRole=SLAVE: it is a slave's config");
  }
  for (const OldBroker* b : {&plan.master, plan.slave ? &*plan.slave : nullptr}) {
    if (b == nullptr) continue;
    if (b->properties.get_or("enableDLegerCommitLog", "false") == "true") {
      problem(b->role + " config " + b->config_path.string() +
              " already has enableDLegerCommitLog=true: it is a DLedger broker, not a Master-Slave one");
    }
  }
  if (!plan.slave) return;
  const OldBroker& s = *plan.slave;
  if (s.broker_role != "SLAVE") {
    problem("--slave-conf " + s.config_path.string() + " says brokerRole=" + s.broker_role +
            " (SLAVE expected): it is not a slave's config");
  }
  if (m.broker_name != s.broker_name) {
    problem("the master is brokerName=" + m.broker_name + " but the slave is brokerName=" + s.broker_name +
            ": they are not one Master-Slave pair");
  }
  if (comparable(m.location.commitlog_dir) == comparable(s.location.commitlog_dir) ||
      comparable(m.location.store_root) == comparable(s.location.store_root)) {
    problem("the master and the slave configs name the same store (" + m.location.store_root.string() + ")");
  }
  if (m.file_size_bytes != s.file_size_bytes) {
    problem("mappedFileSizeCommitLog differs: the master's is " + std::to_string(m.file_size_bytes) +
            ", the slave's " + std::to_string(s.file_size_bytes));
  }
}

void check_commitlog_layout(const std::string& role, const store::CommitlogFiles& files, PreflightResult& r) {
  for (const auto& p : files.problems) {
    if (p.kind == store::problem_kind::kSymlinkedFile) {  // refused up front, before any copy
      r.problems.push_back({ProblemClass::kRefusal, role + " commitlog " + files.dir.string() + ": " + p.detail});
    } else if (p.is_corruption()) {
      r.problems.push_back({ProblemClass::kProblem, role + " commitlog " + files.dir.string() +
                                                        " is not contiguous files of one size: " + p.detail});
    }
  }
}

void check_targets(const PreflightInput& in, PreflightResult& r) {
  const MigrationPlan& plan = in.discovery->plan;
  auto refuse = [&](const std::string& text) { r.problems.push_back({ProblemClass::kRefusal, text}); };
  auto problem = [&](const std::string& text) { r.problems.push_back({ProblemClass::kProblem, text}); };

  std::vector<const OldBroker*> olds{&plan.master};
  if (plan.slave) olds.push_back(&*plan.slave);
  for (const auto& n : plan.nodes) {
    for (const OldBroker* b : olds) {
      if (overlaps(n.store_root, b->location.store_root) || overlaps(n.store_root, b->location.commitlog_dir)) {
        problem("node " + n.id + "'s store root " + n.store_root.string() + " overlaps the " + b->role +
                "'s store " + b->location.store_root.string() + ": the source must never be written");
      }
    }
    for (const auto& other : plan.nodes) {
      if (&other < &n && overlaps(n.store_root, other.store_root)) {
        problem("nodes " + other.id + " and " + n.id + " share a store root (" + n.store_root.string() +
                "): every node needs its own");
      }
    }
    if (is_within(plan.journal_path, n.store_root)) {
      problem("node " + n.id + "'s store root " + n.store_root.string() + " would hold the migration journal " +
              plan.journal_path.string() + ": give each node a directory of its own under or beside --target-root");
    }
    if (is_within(plan.conf_out, n.store_root)) {
      problem("--conf-out " + plan.conf_out.string() + " is inside node " + n.id + "'s store root");
    }
  }
  for (const OldBroker* b : olds) {
    if (is_within(plan.target_root, b->location.store_root)) {
      problem("--target-root " + plan.target_root.string() + " is inside the " + b->role + "'s store " +
              b->location.store_root.string());
    }
    if (is_within(plan.conf_out, b->location.store_root) || is_within(plan.conf_out, b->location.commitlog_dir)) {
      problem("--conf-out " + plan.conf_out.string() + " is inside the " + b->role + "'s store " +
              b->location.store_root.string() + ": the source must never be written");
    }
  }

  if (!in.journal_error.empty()) {
    refuse(plan.journal_path.string() + " cannot be used: " + in.journal_error);
    return;
  }
  if (in.journal != nullptr) {
    if (in.journal->plan_id == plan.plan_id) {
      r.notes.push_back("resuming the migration recorded in " + plan.journal_path.string());
      return;
    }
    std::string changed;
    const nlohmann::json now = plan.identity();
    const nlohmann::json& then = in.journal->plan;
    auto note_change = [&](const std::string& what, const nlohmann::json& before, const nlohmann::json& after) {
      changed += (changed.empty() ? "" : "; ") + what + " was " + before.dump() + ", now " + after.dump();
    };
    for (const auto& [key, value] : now.items()) {
      if (!then.is_object() || !then.contains(key) || then[key] == value) continue;
      if (key != "nodes" || !then[key].is_array() || then[key].size() != value.size()) {
        note_change(key, then[key], value);
        continue;
      }
      // The peers are reported above; name only the node paths that moved.
      for (std::size_t i = 0; i < value.size(); ++i) {
        for (const char* field : {"store_root", "config"}) {
          if (then[key][i].value(field, "") != value[i].value(field, "")) {
            note_change(value[i].value("id", "?") + " " + field, then[key][i].value(field, ""),
                        value[i].value(field, ""));
          }
        }
      }
    }
    refuse(plan.journal_path.string() + " belongs to a different migration (plan " + in.journal->plan_id +
           ", this one is " + plan.plan_id + (changed.empty() ? "" : ": " + changed) +
           "): refusing to mix two plans in one target; give another --target-root, or re-run the original "
           "command");
    return;
  }
  for (const auto& n : plan.nodes) {
    std::string why;
    if (!is_empty_or_absent(n.store_root, why)) {
      refuse("node " + n.id + "'s store root " + n.store_root.string() + " " + why +
             " and holds no journal of this migration: refusing to copy over it");
    }
    std::error_code ec;
    if (fs::exists(fs::symlink_status(n.config_path, ec))) {
      refuse("node " + n.id + "'s config " + n.config_path.string() +
             " already exists and is not this migration's: refusing to overwrite it");
    }
  }
}

void check_space(const PreflightInput& in, PreflightResult& r) {
  const MigrationPlan& plan = in.discovery->plan;
  std::vector<SpaceDemand> demands;
  for (const auto& n : plan.nodes) {
    SpaceDemand d;
    d.node_id = n.id;
    d.target = n.store_root;
    for (const auto& item : in.source_inventory->items) {
      const NodeFileState* done = in.journal != nullptr ? in.journal->file(n.id, item.rel_path) : nullptr;
      if (done != nullptr && done->progress != FileProgress::kMismatch) continue;
      d.bytes_to_write += std::min(item.allocated_bytes, item.size_bytes);
    }
    d.margin_bytes = space_margin_bytes(d.bytes_to_write, plan.source_broker().file_size_bytes);
    r.bytes_to_write += d.bytes_to_write;
    demands.push_back(d);
  }
  for (const auto& s : check_free_space(demands)) {
    std::string ids;
    for (const auto& id : s.node_ids) ids += (ids.empty() ? "" : ", ") + id;
    r.problems.push_back({ProblemClass::kProblem,
                          "not enough free space for node(s) " + ids + " on the file system of " +
                              s.mount_hint.string() + ": " + common::human_bytes(static_cast<double>(s.needed_bytes)) +
                              " needed (the copies plus a margin of one commitlog file per node and 1%), " +
                              common::human_bytes(static_cast<double>(s.available_bytes)) + " available"});
  }
}

void check_brokers(const PreflightInput& in, PreflightResult& r) {
  const MigrationPlan& plan = in.discovery->plan;
  for (const auto& b : *in.running_brokers) {
    if (in.stop_requested) {
      r.notes.push_back("will stop the " + b.role + " broker " + b.process.describe() + " (" + b.reason +
                        ") with SIGTERM");
    } else {
      r.problems.push_back({ProblemClass::kRefusal, "the old " + b.role + " broker is still running: " +
                                                        b.process.describe() + " (" + b.reason +
                                                        "); stop it (mqshutdown broker), or pass --stop"});
    }
  }
  std::vector<const OldBroker*> olds{&plan.master};
  if (plan.slave) olds.push_back(&*plan.slave);
  for (const OldBroker* b : olds) {
    const bool running = std::any_of(in.running_brokers->begin(), in.running_brokers->end(),
                                     [&](const FoundBroker& f) { return f.role == b->role; });
    std::error_code ec;
    if (!running && fs::exists(b->location.store_root / "abort", ec)) {
      r.problems.push_back({ProblemClass::kRefusal,
                            "the " + b->role + " store has an abort file (" +
                                (b->location.store_root / "abort").string() +
                                "): the broker did not shut down cleanly; start it and stop it with "
                                "mqshutdown (SIGTERM) so it flushes, then run again"});
    }
  }
}

// The source's config/*.json (topics, subscription groups, consumer and delay offsets) are copied as they are,
// and every new broker loads them at its first start (store::load_config_object, as ConfigManager.load): the
// file, else its .bak. A file that does not parse and has no usable .bak makes our broker refuse to start
// (and the Java broker start without those topics or offsets), so it is a problem here, before anything is
// stopped or copied; a file that only its .bak rescues is a note.
void check_config_files(const std::string& role, const Inventory& inventory, PreflightResult& r) {
  for (const InventoryItem& item : inventory.items) {
    if (item.kind != ItemKind::kConfig || !item.rel_path.ends_with(".json")) continue;
    std::string parse_error;
    {
      std::ifstream in(item.source_path, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (!in) {
        r.problems.push_back({ProblemClass::kProblem, "the " + role + "'s " + item.rel_path + " (" +
                                                          item.source_path.string() + ") cannot be read"});
        continue;
      }
      if (text.str().empty()) continue;  // empty: the .bak or an empty table, as a fresh broker
      try {
        if (!store::parse_fastjson(text.str()).is_object()) parse_error = "not a JSON object";
      } catch (const std::exception& e) {
        parse_error = e.what();
      }
    }
    if (parse_error.empty()) continue;
    bool rescued_by_bak = false;
    try {
      rescued_by_bak = store::load_config_object(item.source_path.string()).has_value();
    } catch (const std::exception&) {
    }
    const std::string what = "the " + role + "'s " + item.rel_path + " (" + item.source_path.string() +
                             ") is not valid JSON (" + parse_error + ")";
    if (rescued_by_bak) {
      r.notes.push_back(what + ": the new brokers will load its .bak, as the Java broker would");
    } else {
      r.problems.push_back({ProblemClass::kProblem,
                            what + " and has no usable .bak: the new brokers would refuse to start (the Java "
                                   "broker would start without its contents); repair or restore it first"});
    }
  }
}

}  // namespace

int PreflightResult::exit_code() const {
  if (problems.empty()) return common::kExitOk;
  const bool refusal = std::any_of(problems.begin(), problems.end(),
                                   [](const PreflightProblem& p) { return p.problem_class == ProblemClass::kRefusal; });
  return refusal ? common::kExitRefused : common::kExitProblems;
}

PreflightResult run_preflight(const PreflightInput& in) {
  assert(in.discovery != nullptr && in.source_inventory != nullptr && in.running_brokers != nullptr);
  PreflightResult r;
  const MigrationPlan& plan = in.discovery->plan;
  for (const auto& p : in.discovery->peer_problems) r.problems.push_back({ProblemClass::kProblem, p});
  for (const auto& n : in.discovery->notes) r.notes.push_back(n);
  check_old_brokers(plan, r);

  const OldBroker& source = plan.source_broker();
  check_commitlog_layout(source.role, in.source_inventory->commitlog, r);
  if (in.source_inventory->commitlog.files.empty()) {
    r.problems.push_back({ProblemClass::kProblem, "the " + source.role + "'s commitlog directory " +
                                                      source.location.commitlog_dir.string() +
                                                      " holds no commitlog file: nothing to migrate"});
  }
  if (in.other_commitlog != nullptr) {
    check_commitlog_layout(source.role == "master" ? "slave" : "master", *in.other_commitlog, r);
  }
  for (const auto& l : in.source_inventory->left_behind) r.notes.push_back("not copied: " + l);
  check_config_files(source.role, *in.source_inventory, r);

  check_targets(in, r);
  check_space(in, r);
  check_brokers(in, r);
  return r;
}

}  // namespace rmq::migrate
