#include "migrate/migrate_test_hooks.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "broker/common/java_properties.h"

namespace rmq::migrate {

namespace {

[[noreturn]] void die_now() {
  ::raise(SIGKILL);
  ::_exit(137);  // not reached: SIGKILL cannot be caught
}

int parse_count(const std::string& text, const std::string& whole) {
  char* end = nullptr;
  const long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || n < 1 || n > 1000000) {
    throw common::ConfigError("RMQ_MIGRATE_TEST_KILL_AT=" + whole + ": the count must be a number from 1");
  }
  return static_cast<int>(n);
}

}  // namespace

TestHooks TestHooks::parse(const std::string& kill_at) {
  TestHooks hooks;
  const auto colon = kill_at.find(':');
  if (colon == std::string::npos) {
    throw common::ConfigError("RMQ_MIGRATE_TEST_KILL_AT=" + kill_at +
                              ": expected files:N, half:N, renamed:N or phase:NAME");
  }
  const std::string kind = kill_at.substr(0, colon);
  const std::string arg = kill_at.substr(colon + 1);
  if (kind == "files") {
    hooks.point_ = Point::kFilesJournaled;
  } else if (kind == "half") {
    hooks.point_ = Point::kHalfWritten;
  } else if (kind == "renamed") {
    hooks.point_ = Point::kRenamed;
  } else if (kind == "phase") {
    if (arg != "check" && arg != "copy" && arg != "verify" && arg != "configure") {
      throw common::ConfigError("RMQ_MIGRATE_TEST_KILL_AT=" + kill_at +
                                ": the phase is check, copy, verify or configure");
    }
    hooks.point_ = Point::kPhase;
    hooks.phase_ = arg;
    return hooks;
  } else {
    throw common::ConfigError("RMQ_MIGRATE_TEST_KILL_AT=" + kill_at +
                              ": expected files:N, half:N, renamed:N or phase:NAME");
  }
  hooks.n_ = parse_count(arg, kill_at);
  return hooks;
}

TestHooks& TestHooks::operator=(const TestHooks& other) {
  point_ = other.point_;
  n_ = other.n_;
  phase_ = other.phase_;
  half_written_ = 0;
  renamed_ = 0;
  journaled_ = 0;
  return *this;
}

std::string TestHooks::description() const {
  switch (point_) {
    case Point::kNone: return "none";
    case Point::kFilesJournaled: return "files:" + std::to_string(n_);
    case Point::kHalfWritten: return "half:" + std::to_string(n_);
    case Point::kRenamed: return "renamed:" + std::to_string(n_);
    case Point::kPhase: return "phase:" + phase_;
  }
  return "?";
}

void TestHooks::count(Point point, std::atomic<int>& counter) {
  if (point_ != point) return;
  if (counter.fetch_add(1) + 1 == n_) die_now();
}

void TestHooks::file_half_written() { count(Point::kHalfWritten, half_written_); }
void TestHooks::file_renamed() { count(Point::kRenamed, renamed_); }
void TestHooks::file_journaled() { count(Point::kFilesJournaled, journaled_); }

void TestHooks::phase_journaled(const std::string& phase) const {
  if (point_ == Point::kPhase && phase == phase_) die_now();
}

}  // namespace rmq::migrate
