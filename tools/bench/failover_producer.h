// The producer of `rmq-bench failover`: one thread that sends SEND_MESSAGE_V2 one at a time (synchronously,
// so every send's start and answer are timed exactly) to the node it believes leads, and on any failure
// (connection refused or closed, timeout, a follower's code 14, a leader not yet writable) moves on to the
// next node of the group, reconnecting as needed. It is what an application sees: the time until a send
// started after a given moment gets SEND_OK from some node.
//
// After a full cycle of failures it pauses 5 ms so that it does not spin while the group elects a leader.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rmq::bench {

struct FailoverProducerOptions {
  std::vector<std::string> addresses;  // every node's host:port
  std::string topic;
  std::size_t size_bytes = 1024;
  std::int64_t send_timeout_ms = 1000;
  std::int64_t connect_timeout_ms = 300;
};

class FailoverProducer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit FailoverProducer(FailoverProducerOptions options);
  ~FailoverProducer();  // stop()
  FailoverProducer(const FailoverProducer&) = delete;
  FailoverProducer& operator=(const FailoverProducer&) = delete;

  void start();
  void stop();

  // Forget earlier answers: from now on first_ok_after() reports the first SEND_OK of a send started at or
  // after `since`.
  void arm(Clock::time_point since);
  // Waits until a send started at or after the armed moment got SEND_OK, up to `deadline`; the moment its
  // answer arrived and the address that gave it, or nullopt.
  std::optional<std::pair<Clock::time_point, std::string>> wait_first_ok(Clock::time_point deadline);
  // Waits until some send that started at or after `since` got SEND_OK (a healthy group), up to `deadline`.
  bool wait_ok_since(Clock::time_point since, Clock::time_point deadline);

  std::uint64_t ok_count() const;
  std::map<std::string, std::uint64_t> failures() const;  // reason -> count

 private:
  void run();
  void record_ok(Clock::time_point started, Clock::time_point answered, const std::string& address);
  void record_failure(const std::string& reason);

  const FailoverProducerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  Clock::time_point armed_since_ = Clock::time_point::max();
  std::optional<std::pair<Clock::time_point, std::string>> first_ok_;
  Clock::time_point last_ok_started_ = Clock::time_point::min();
  std::uint64_t ok_ = 0;
  std::map<std::string, std::uint64_t> failures_;
  std::thread thread_;
};

}  // namespace rmq::bench
