#include "migrate/journal_state.h"

#include <algorithm>

#include "migrate/journal.h"

namespace rmq::migrate {

using nlohmann::json;

namespace {

std::string string_field(const json& record, const char* name, std::size_t index) {
  if (!record.contains(name) || !record[name].is_string()) {
    throw JournalError("journal record " + std::to_string(index + 1) + " (" + record.value("type", "?") +
                       ") lacks the string field \"" + name + "\"");
  }
  return record[name].get<std::string>();
}

std::uint64_t size_field(const json& record, std::size_t index) {
  if (!record.contains("size") || !record["size"].is_number_unsigned()) {
    throw JournalError("journal record " + std::to_string(index + 1) + " lacks a valid \"size\"");
  }
  return record["size"].get<std::uint64_t>();
}

}  // namespace

bool JournalState::phase_done(const std::string& phase) const {
  return std::find(phases_done.begin(), phases_done.end(), phase) != phases_done.end();
}

const NodeFileState* JournalState::file(const std::string& node, const std::string& path) const {
  const auto it = files.find({node, path});
  return it == files.end() ? nullptr : &it->second;
}

JournalState replay_journal(const std::vector<json>& records) {
  if (records.empty() || records[0].value("type", "") != "plan") {
    throw JournalError("the journal does not begin with a plan record");
  }
  JournalState state;
  const json& first = records[0];
  if (!first.contains("format") || !first["format"].is_number_integer() ||
      first["format"].get<int>() != kJournalFormat) {
    throw JournalError("the journal's format is not " + std::to_string(kJournalFormat) +
                       " (written by another version of rmqctl)");
  }
  state.plan_id = string_field(first, "plan_id", 0);
  state.plan = first.value("plan", json::object());
  state.inventory = first.value("inventory", json::array());
  for (std::size_t i = 1; i < records.size(); ++i) {
    const json& r = records[i];
    const std::string type = r.value("type", "");
    if (type == "phase") {
      const std::string phase = string_field(r, "phase", i);
      if (!state.phase_done(phase)) state.phases_done.push_back(phase);
      state.phase_details[phase] = r.value("detail", "");
      if (r.contains("data")) state.phase_data[phase] = r["data"];
    } else if (type == "source") {
      state.source_md5[string_field(r, "path", i)] = string_field(r, "md5", i);
    } else if (type == "copied") {
      state.files[{string_field(r, "node", i), string_field(r, "path", i)}] =
          NodeFileState{FileProgress::kCopied, size_field(r, i), ""};
    } else if (type == "verified" || type == "mismatch") {
      auto& f = state.files[{string_field(r, "node", i), string_field(r, "path", i)}];
      f.progress = type == "verified" ? FileProgress::kVerified : FileProgress::kMismatch;
      f.md5 = string_field(r, "md5", i);
    } else if (type == "config") {
      state.configs[string_field(r, "node", i)] = {string_field(r, "path", i), string_field(r, "md5", i)};
    } else {
      throw JournalError("journal record " + std::to_string(i + 1) + " has the unknown type \"" + type +
                         "\" (written by a newer rmqctl?)");
    }
  }
  return state;
}

namespace journal_record {
json plan(const std::string& plan_id, const json& plan_json, const json& inventory) {
  return {{"type", "plan"}, {"format", kJournalFormat}, {"plan_id", plan_id}, {"plan", plan_json},
          {"inventory", inventory}};
}
json phase(const std::string& phase_name, const std::string& detail) {
  return {{"type", "phase"}, {"phase", phase_name}, {"detail", detail}};
}
json source(const std::string& path, const std::string& md5) {
  return {{"type", "source"}, {"path", path}, {"md5", md5}};
}
json copied(const std::string& node, const std::string& path, std::uint64_t size_bytes) {
  return {{"type", "copied"}, {"node", node}, {"path", path}, {"size", size_bytes}};
}
json verified(const std::string& node, const std::string& path, const std::string& md5) {
  return {{"type", "verified"}, {"node", node}, {"path", path}, {"md5", md5}};
}
json mismatch(const std::string& node, const std::string& path, const std::string& md5, const std::string& expected) {
  return {{"type", "mismatch"}, {"node", node}, {"path", path}, {"md5", md5}, {"expected", expected}};
}
json config(const std::string& node, const std::string& path, const std::string& md5) {
  return {{"type", "config"}, {"node", node}, {"path", path}, {"md5", md5}};
}
}  // namespace journal_record

}  // namespace rmq::migrate
