#include "migrate/migrate_dledger_start.h"

#include <cassert>

namespace rmq::migrate {

DledgerStart dledger_start_for(const store::CommitlogFiles& files, const store::CommitlogScan& scan) {
  DledgerStart start;
  if (files.files.empty()) return start;
  assert(files.file_size_bytes > 0);
  assert(scan.file_data_end.size() <= files.files.size());
  const auto size = static_cast<std::int64_t>(files.file_size_bytes);
  const std::int64_t max_offset = scan.max_offset;

  // The newest file starting at or before the end of the valid records.
  std::size_t last = 0;
  for (std::size_t i = 0; i < files.files.size(); ++i) {
    if (files.files[i].start_offset <= max_offset) last = i;
  }
  std::int64_t recovery_offset = max_offset;
  const std::int64_t last_end = files.files[last].start_offset + size;
  const bool closed_with_blank = last < scan.file_data_end.size() && scan.file_data_end[last] == last_end &&
                                 max_offset < last_end;
  if (closed_with_blank && last + 1 < files.files.size()) {
    // Recovery rolls over the blank into the next file, finds nothing there, and stops at its start.
    ++last;
    recovery_offset = files.files[last].start_offset;
  }
  start.recovery_offset = recovery_offset;
  start.divided_offset = files.files[last].start_offset + size;
  start.first_physical_offset = start.divided_offset + kDledgerEntryBodyOffset;
  return start;
}

}  // namespace rmq::migrate
