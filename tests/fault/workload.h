// The load the faults are injected under, and the history it leaves for the checker (history_checker.h).
//
// Producers: `producers` threads, each sending with our raw remoting client (SEND_MESSAGE_V2 with ali-ons's
// fields) one message at a time; producer p's n-th message has the unique body "p<p>-<n>" and goes to queue
// n % kQueues. A send goes to the node the name server registers as brokerId 0 (refreshed by a route thread
// every 100 ms; a follower forwards it, a stale or dead leader fails it). A send without SEND_OK (no answer,
// timeout, any other code) is retried with the same body and queue, as a real producer retries, up to
// kMaxAttempts times; every attempt is recorded (node, when issued and answered, code, queueOffset), so the
// checker can tell a duplicate caused by a retry from one that is not.
//
// Consumer: one thread pulls every queue, in turn from every node (followers serve committed entries too),
// and records which body it saw at each (queue, offset); a later read of the same offset must give the same
// body (what a consumer has seen is never rewritten).
//
// Gap: the longest time during the run without any SEND_OK answer (from any producer).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/fault/fault_group.h"
#include "tests/integration/broker_test_harness.h"

namespace rmq::fault {

struct Attempt {
  int node = -1;
  Clock::time_point issued;
  Clock::time_point answered;
  std::int32_t code = -1;            // -1: no answer (refused, closed, timed out)
  std::int64_t queue_offset = -1;    // from SEND_OK
};

struct SentMessage {
  std::string body;
  int queue = 0;
  std::vector<Attempt> attempts;
  bool acknowledged() const { return !attempts.empty() && attempts.back().code == rc::kSuccess; }
};

// (queue, offset) -> what was seen there, and where.
struct Observation {
  std::string body;
  int node = -1;
};

class Workload {
 public:
  static constexpr int kMaxAttempts = 8;
  static constexpr std::int64_t kSendTimeoutMs = 5000;  // longer than a pause, so a paused node's late answer counts

  Workload(FaultGroup& group, int producers, std::uint64_t seed) : group_(group), seed_(seed) {
    route_thread_ = std::thread([this] { route_loop(); });
    for (int p = 0; p < producers; ++p) producer_threads_.emplace_back([this, p] { produce(p); });
    consumer_thread_ = std::thread([this] { consume(); });
  }
  ~Workload() { stop(); }

  void stop() {
    if (stopped_.exchange(true)) return;
    for (auto& t : producer_threads_) t.join();
    consumer_thread_.join();
    route_thread_.join();
    std::lock_guard lock(mu_);
    if (has_ok_) max_gap_ms_ = std::max(max_gap_ms_, ms_since(last_ok_));
  }

  std::size_t acknowledged() const { return acked_.load(); }
  std::int64_t max_gap_ms() {
    std::lock_guard lock(mu_);
    return std::max(max_gap_ms_, has_ok_ && !stopped_ ? ms_since(last_ok_) : 0);
  }
  // Only after stop().
  const std::vector<SentMessage>& sent() const { return sent_; }
  const std::map<std::pair<int, std::int64_t>, Observation>& observed() const { return observed_; }
  const std::vector<std::string>& observation_conflicts() const { return conflicts_; }

 private:
  void route_loop() {
    FaultGroup::Client client(group_);
    while (!stopped_) {
      auto table = client.registered();
      auto it = table.find(0);
      route_leader_ = it == table.end() ? -1 : it->second;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  void produce(int p) {
    FaultGroup::Client client(group_);
    std::mt19937_64 rng(seed_ * 31 + static_cast<std::uint64_t>(p));
    std::vector<SentMessage> mine;
    for (std::int64_t n = 0; !stopped_; ++n) {
      SentMessage m;
      m.body = "p" + std::to_string(p) + "-" + std::to_string(n);
      m.queue = static_cast<int>(n % kQueues);
      while (!stopped_ && static_cast<int>(m.attempts.size()) < kMaxAttempts) {
        Attempt a;
        a.node = route_leader_.load();
        if (a.node < 0) a.node = static_cast<int>(rng() % kNodes);
        a.issued = Clock::now();
        auto response = client.call(a.node, integration::BrokerHarness::send_request(kTopic, m.queue, m.body),
                                    kSendTimeoutMs);
        a.answered = Clock::now();
        if (response) {
          a.code = response->code;
          if (a.code == rc::kSuccess) a.queue_offset = response->ext_fields.get_int64("queueOffset").value_or(-1);
        }
        m.attempts.push_back(a);
        if (a.code == rc::kSuccess) {
          note_ok(a.answered);
          ++acked_;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 80));
      }
      if (!m.attempts.empty()) mine.push_back(std::move(m));
    }
    std::lock_guard lock(mu_);
    for (auto& m : mine) sent_.push_back(std::move(m));
  }

  void note_ok(Clock::time_point at) {
    std::lock_guard lock(mu_);
    if (has_ok_) max_gap_ms_ = std::max(max_gap_ms_, ms_since(last_ok_, at));
    if (!has_ok_ || at > last_ok_) last_ok_ = at;
    has_ok_ = true;
  }

  void consume() {
    FaultGroup::Client client(group_);
    std::int64_t next[kNodes][kQueues] = {};
    std::map<std::pair<int, std::int64_t>, Observation> seen;
    std::vector<std::string> conflicts;
    for (int round = 0; !stopped_; ++round) {
      const int node = round % kNodes;
      for (int q = 0; q < kQueues && !stopped_; ++q) {
        auto response = client.call(
            node, integration::BrokerHarness::pull_request("GID_fault", kTopic, q, next[node][q], 0, 32), 3000);
        if (!response || response->code != rc::kSuccess) continue;
        for (const auto& record : integration::BrokerHarness::decode_records(response->body)) {
          const std::string body(record.body.begin(), record.body.end());
          auto [it, inserted] = seen.try_emplace({q, record.queue_offset}, Observation{body, node});
          if (!inserted && it->second.body != body && conflicts.size() < 100) {
            conflicts.push_back("queue " + std::to_string(q) + " offset " + std::to_string(record.queue_offset) +
                                ": n" + std::to_string(it->second.node) + " served " + it->second.body + ", n" +
                                std::to_string(node) + " served " + body);
          }
          next[node][q] = std::max(next[node][q], record.queue_offset + 1);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::lock_guard lock(mu_);
    observed_ = std::move(seen);
    conflicts_ = std::move(conflicts);
  }

  FaultGroup& group_;
  std::uint64_t seed_;
  std::atomic<bool> stopped_{false};
  std::atomic<int> route_leader_{-1};
  std::atomic<std::size_t> acked_{0};
  std::mutex mu_;
  bool has_ok_ = false;
  Clock::time_point last_ok_;
  std::int64_t max_gap_ms_ = 0;
  std::vector<SentMessage> sent_;
  std::map<std::pair<int, std::int64_t>, Observation> observed_;
  std::vector<std::string> conflicts_;
  std::thread route_thread_;
  std::vector<std::thread> producer_threads_;
  std::thread consumer_thread_;
};

}  // namespace rmq::fault
