#include "broker/raft/raft_types.h"

#include <string>

namespace rmq::raft {

const char* to_string(Role role) {
  switch (role) {
    case Role::kFollower: return "follower";
    case Role::kPreCandidate: return "pre-candidate";
    case Role::kCandidate: return "candidate";
    case Role::kLeader: return "leader";
  }
  return "?";
}

const char* to_string(MessageType type) {
  switch (type) {
    case MessageType::kAppend: return "Append";
    case MessageType::kAppendResponse: return "AppendResponse";
    case MessageType::kHeartbeat: return "Heartbeat";
    case MessageType::kHeartbeatResponse: return "HeartbeatResponse";
    case MessageType::kVote: return "Vote";
    case MessageType::kVoteResponse: return "VoteResponse";
    case MessageType::kPreVote: return "PreVote";
    case MessageType::kPreVoteResponse: return "PreVoteResponse";
    case MessageType::kTimeoutNow: return "TimeoutNow";
  }
  return "?";
}

const char* to_string(EntryType type) {
  switch (type) {
    case EntryType::kNormal: return "normal";
    case EntryType::kNoop: return "noop";
  }
  return "?";
}

std::string describe(const Message& m) {
  std::string s = to_string(m.type);
  s += ' ' + std::to_string(m.from) + "->" + std::to_string(m.to) + " t" + std::to_string(m.term);
  switch (m.type) {
    case MessageType::kAppend:
      s += " prev=(" + std::to_string(m.log_index) + ',' + std::to_string(m.log_term) + ") commit=" +
           std::to_string(m.commit_index);
      if (!m.entries.empty()) {
        s += " entries=[" + std::to_string(m.entries.front().index) + ".." +
             std::to_string(m.entries.back().index) + "]@t" + std::to_string(m.entries.back().term);
      }
      break;
    case MessageType::kAppendResponse:
      if (m.reject) {
        s += " reject prev=" + std::to_string(m.log_index) + " hint=(" + std::to_string(m.hint_index) + ',' +
             std::to_string(m.hint_term) + ')';
      } else {
        s += " match=" + std::to_string(m.log_index);
      }
      break;
    case MessageType::kHeartbeat:
      s += " commit=" + std::to_string(m.commit_index);
      break;
    case MessageType::kVote:
    case MessageType::kPreVote:
      s += " last=(" + std::to_string(m.log_index) + ',' + std::to_string(m.log_term) + ')';
      if (m.transfer) s += " transfer";
      break;
    case MessageType::kVoteResponse:
    case MessageType::kPreVoteResponse:
      s += m.reject ? " reject" : " grant";
      break;
    case MessageType::kHeartbeatResponse:
    case MessageType::kTimeoutNow:
      break;
  }
  return s;
}

}  // namespace rmq::raft
