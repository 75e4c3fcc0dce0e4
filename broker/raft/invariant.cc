#include "broker/raft/invariant.h"

#include <string>

namespace rmq::raft {

void invariant_failed(const char* condition, const char* file, int line, const std::string& what) {
  throw InvariantError(std::string("raft invariant broken: ") + what + " (" + condition + " at " + file + ":" +
                       std::to_string(line) + ")");
}

}  // namespace rmq::raft
