// libFuzzer target: migrate's journal reader (migrate/journal.h) and the replay of its records
// (migrate/journal_state.h), on a journal file with arbitrary content. Checks: damage is refused with
// JournalError only (rmqctl reports it as a corrupt journal), never a crash or another exception; a
// journal that reads replays without a crash or an exception other than JournalError.
#include <cstddef>
#include <cstdint>

#include "migrate/journal.h"
#include "migrate/journal_state.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::ScratchFile file(migrate::kJournalFileName);
  file.write(fuzz::as_text(data, size));
  try {
    const auto contents = migrate::read_journal(file.path());
    FUZZ_CHECK(contents.has_value());
    FUZZ_CHECK(!contents->records.empty());
    (void)migrate::replay_journal(contents->records);
  } catch (const migrate::JournalError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "journal read threw something other than JournalError: %s\n", e.what());
    FUZZ_CHECK(false);
  }
  return 0;
}
