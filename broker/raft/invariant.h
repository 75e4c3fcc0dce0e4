// Broken invariants inside the Raft core.
//
// The core never crashes the process and never continues past a broken invariant: it throws InvariantError,
// the C++ form of etcd raft's panic. A runtime that catches one must stop the node (its in-memory state is
// no longer trustworthy) and restart it from storage. The simulator catches it and reports a safety violation
// with its seed. Bad input from the network is not an invariant: step() drops malformed messages and says so.
#pragma once

#include <stdexcept>
#include <string>

namespace rmq::raft {

class InvariantError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void invariant_failed(const char* condition, const char* file, int line, const std::string& what);

}  // namespace rmq::raft

// Checks an invariant in every build type (these checks are cheap and guard safety, so NDEBUG keeps them).
#define RMQ_RAFT_CHECK(cond, what)                                            \
  do {                                                                        \
    if (!(cond)) ::rmq::raft::invariant_failed(#cond, __FILE__, __LINE__, (what)); \
  } while (false)
