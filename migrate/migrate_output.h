// How `rmqctl migrate` shows a MigrationReport: the text an operator reads and the `-o json` scripts parse.
//
// Text, on stdout, in this order: "Found problems:" with every preflight problem; the lines explaining why a
// later phase stopped; the phase table; then either the dry-run listing (every file with its source path
// and destinations, every config in full) or, when the migration is complete, the closing summary (nodes,
// files, bytes, MD5s, where each node's DLedger log begins, how to roll back). Notes (carried settings,
// files left behind, warnings) go to stderr, as other diagnostics do.
//
// JSON: one object, schema in man/rmqctl.1 ("MIGRATE JSON OUTPUT"); field names are stable.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "migrate/migrate_report.h"

namespace rmq::migrate {

std::string phase_table_text(const MigrationReport& report);
std::string report_text(const MigrationReport& report);  // everything for stdout
std::string notes_text(const MigrationReport& report);   // "note: ..." lines for stderr
nlohmann::json report_json(const MigrationReport& report);

// The rollback advice: what to do to go back, until the point of no return.
std::string rollback_text(const MigrationPlan& plan);

}  // namespace rmq::migrate
