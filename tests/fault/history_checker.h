// The history checker: what the producers were told and what the group serves afterwards, held against the
// definitions of a durable set and of a queue (the ideas of Jepsen's set and queue checkers, written here from
// those definitions for RocketMQ's model: a topic queue is an append-only log addressed by queue offset).
//
//   set (durability):  every body that got SEND_OK is served afterwards (lost = acknowledged, not served);
//                      SEND_OK's queueOffset is where it is served (an acknowledgement names its place).
//   queue (order):     per queue, the offsets served are 0, 1, ..., max-1 with no hole and none twice; every
//                      body served was sent by a producer, to that queue.
//   agreement:         every node serves the same body at every (queue, offset) as the reference node (the
//                      leader); what the consumer saw during the run at (queue, offset), from any node, is what
//                      is there at the end (a read is never rewritten: no dirty read).
//   duplicates:        a body served at two offsets is explained only if its producer sent it more than once
//                      (a retry after a failed or unanswered attempt); then it counts as a retry duplicate,
//                      reported apart, and it may appear at most as many times as it was sent. Otherwise it is
//                      a problem.
// Unacknowledged sends may or may not be served (indeterminate); they are counted, never a problem.
//
// Pure: no processes, so history_checker_test.cc feeds it made-up histories with each kind of violation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "tests/fault/workload.h"

namespace rmq::fault {

// What one node serves: per queue, (queue offset, body) in the order read.
using QueueContents = std::vector<std::vector<std::pair<std::int64_t, std::string>>>;

// A node that was paused (SIGSTOP) and resumed (SIGCONT) at `resumed_at`.
struct PauseWindow {
  int node = -1;
  Clock::time_point resumed_at;
};

struct CheckReport {
  std::size_t sent = 0;                 // distinct bodies sent (at least one attempt)
  std::size_t attempts = 0;             // send requests issued
  std::size_t acknowledged = 0;
  std::size_t lost = 0;                 // acknowledged, not served
  std::size_t retried_sends = 0;        // bodies sent more than once
  std::size_t duplicates_retried = 0;   // extra copies of retried bodies
  std::size_t duplicates_unexplained = 0;
  std::size_t unacknowledged_stored = 0;
  std::size_t unacknowledged_absent = 0;
  std::size_t served = 0;               // messages on the reference node
  std::size_t acks_after_resume = 0;    // SEND_OK by a paused node, asked before and answered after it resumed
  std::size_t acks_after_resume_lost = 0;
  std::vector<std::string> problems;    // each a violated definition, with the message and place

  bool ok() const { return problems.empty(); }
  void problem(std::string text) {
    if (problems.size() < 200) problems.push_back(std::move(text));
    ++problem_count;
  }
  std::size_t problem_count = 0;
};

inline CheckReport check_history(const std::vector<SentMessage>& sent, const std::vector<QueueContents>& nodes,
                                 int reference, const std::map<std::pair<int, std::int64_t>, Observation>& observed,
                                 const std::vector<std::string>& observation_conflicts,
                                 const std::vector<PauseWindow>& pauses) {
  CheckReport r;
  const QueueContents& ref = nodes.at(static_cast<std::size_t>(reference));

  // Where each body is served on the reference node: body -> [(queue, offset)].
  std::unordered_map<std::string, std::vector<std::pair<int, std::int64_t>>> where;
  std::map<std::pair<int, std::int64_t>, const std::string*> at;
  for (int q = 0; q < static_cast<int>(ref.size()); ++q) {
    std::int64_t expect = 0;
    for (const auto& [offset, body] : ref[static_cast<std::size_t>(q)]) {
      if (offset != expect) {
        r.problem("queue " + std::to_string(q) + " on n" + std::to_string(reference) + ": offset " +
                  std::to_string(offset) + " follows " + std::to_string(expect - 1) +
                  (offset < expect ? " (an offset served twice)" : " (a hole)"));
      }
      expect = offset + 1;
      where[body].push_back({q, offset});
      at[{q, offset}] = &body;
      ++r.served;
    }
  }

  std::unordered_map<std::string, const SentMessage*> by_body;
  for (const auto& m : sent) {
    ++r.sent;
    r.attempts += m.attempts.size();
    by_body[m.body] = &m;
    if (m.attempts.size() > 1) ++r.retried_sends;
    auto found = where.find(m.body);
    const std::size_t copies = found == where.end() ? 0 : found->second.size();
    for (const auto& a : m.attempts) {
      if (a.code != rc::kSuccess) continue;
      for (const auto& p : pauses) {
        if (a.node == p.node && a.issued < p.resumed_at && a.answered >= p.resumed_at) {
          ++r.acks_after_resume;
          if (copies == 0) ++r.acks_after_resume_lost;
          break;
        }
      }
    }
    if (m.acknowledged()) {
      ++r.acknowledged;
      const Attempt& ok = m.attempts.back();
      if (copies == 0) {
        ++r.lost;
        r.problem("lost: " + m.body + " (queue " + std::to_string(m.queue) + ") got SEND_OK from n" +
                  std::to_string(ok.node) + " at queue offset " + std::to_string(ok.queue_offset) +
                  " after " + std::to_string(m.attempts.size()) + " attempt(s), and no node serves it");
        continue;
      }
      auto it = at.find({m.queue, ok.queue_offset});
      if (it == at.end() || *it->second != m.body) {
        r.problem("misplaced: " + m.body + " got SEND_OK for queue " + std::to_string(m.queue) + " offset " +
                  std::to_string(ok.queue_offset) + " but that offset holds " +
                  (it == at.end() ? std::string("nothing") : *it->second));
      }
    } else {
      ++(copies > 0 ? r.unacknowledged_stored : r.unacknowledged_absent);
    }
    if (copies > 1) {
      if (m.attempts.size() > 1 && copies <= m.attempts.size()) {
        r.duplicates_retried += copies - 1;
      } else {
        r.duplicates_unexplained += copies - 1;
        r.problem("duplicate: " + m.body + " is served at " + std::to_string(copies) + " offsets but was sent " +
                  std::to_string(m.attempts.size()) + " time(s)");
      }
    }
    for (const auto& [q, offset] : found == where.end() ? std::vector<std::pair<int, std::int64_t>>{} : found->second) {
      if (q != m.queue) {
        r.problem(m.body + " was sent to queue " + std::to_string(m.queue) + " and is served in queue " +
                  std::to_string(q));
      }
    }
  }
  for (const auto& [body, places] : where) {
    if (!by_body.count(body)) {
      r.problem("unknown: queue " + std::to_string(places[0].first) + " offset " + std::to_string(places[0].second) +
                " holds \"" + body.substr(0, 60) + "\", which no producer sent");
    }
  }

  // Every node serves what the reference node serves.
  for (int n = 0; n < static_cast<int>(nodes.size()); ++n) {
    if (n == reference) continue;
    for (int q = 0; q < static_cast<int>(ref.size()); ++q) {
      const auto& mine = nodes[static_cast<std::size_t>(n)].at(static_cast<std::size_t>(q));
      const auto& theirs = ref[static_cast<std::size_t>(q)];
      if (mine == theirs) continue;
      std::size_t i = 0;
      while (i < mine.size() && i < theirs.size() && mine[i] == theirs[i]) ++i;
      const auto show = [](const std::vector<std::pair<std::int64_t, std::string>>& v, std::size_t k) {
        return k < v.size() ? "offset " + std::to_string(v[k].first) + " = " + v[k].second : std::string("(end)");
      };
      r.problem("divergence: queue " + std::to_string(q) + " on n" + std::to_string(n) + " (" +
                std::to_string(mine.size()) + " messages) differs from n" + std::to_string(reference) + " (" +
                std::to_string(theirs.size()) + ") at entry " + std::to_string(i) + ": " + show(mine, i) + " vs " +
                show(theirs, i));
    }
  }

  // What the consumer saw during the run is what is there now.
  for (const auto& c : observation_conflicts) r.problem("a read changed during the run: " + c);
  for (const auto& [place, seen] : observed) {
    auto it = at.find(place);
    if (it == at.end() || *it->second != seen.body) {
      r.problem("a read changed: the consumer saw " + seen.body + " at queue " + std::to_string(place.first) +
                " offset " + std::to_string(place.second) + " on n" + std::to_string(seen.node) + ", now " +
                (it == at.end() ? std::string("nothing is there") : *it->second));
    }
  }
  return r;
}

}  // namespace rmq::fault
