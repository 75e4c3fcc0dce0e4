#include "migrate/migrate_report.h"

#include <cassert>

namespace rmq::migrate {

const char* to_string(PhaseStatus status) {
  switch (status) {
    case PhaseStatus::kNotRun: return "not run";
    case PhaseStatus::kDone: return "done";
    case PhaseStatus::kEarlier: return "done earlier";
    case PhaseStatus::kPlanned: return "would run";
    case PhaseStatus::kSkipped: return "skipped";
    case PhaseStatus::kFailed: return "FAILED";
    case PhaseStatus::kRefused: return "REFUSED";
  }
  return "?";
}

PhaseRow& MigrationReport::phase(const std::string& name) {
  for (auto& p : phases) {
    if (p.name == name) return p;
  }
  assert(false && "unknown phase");
  phases.push_back({name, PhaseStatus::kNotRun, "", 0});
  return phases.back();
}

std::uint64_t MigrationReport::total_file_bytes() const {
  std::uint64_t total = 0;
  for (const auto& f : files) total += f.size_bytes;
  return total;
}

}  // namespace rmq::migrate
