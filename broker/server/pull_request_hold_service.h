// Long polling for PULL_MESSAGE (4.9.x PullRequestHoldService, remoting.md 4.3 step 8).
//
// A pull that finds nothing new (19) with the SUSPEND flag is parked here instead of answered: its Responder
// is kept with the queue and the offset it asked for. It is run again, once and without suspending, when
// (a) the store reports an arrival on that queue past the offset, (b) its suspend time passes, or (c) the
// broker shuts down. A periodic check (every check_interval_ms) compares each queue's max offset too, which
// covers an arrival that raced with parking. The re-run answers whatever it finds (19 if still nothing), so
// every parked pull is answered before the client's 30 s timeout.
// State is only in memory: on a crash the clients see their connection drop and pull again.
// Thread-safe; runs its own timer thread; re-runs go to the caller-supplied executor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/remoting/remoting_command.h"
#include "broker/remoting/responder.h"

namespace rmq::server {

struct HeldPull {
  remoting::RemotingCommand request;
  remoting::Responder responder;
  std::string topic;
  std::int32_t queue_id = 0;
  std::int64_t offset = 0;
  std::int64_t deadline_ms = 0;  // steady clock
  // Set by hold(): the request came on a connection, so the periodic scan drops the pull once it is gone.
  bool on_connection = false;
};

class PullRequestHoldService {
 public:
  // `rerun` answers a held pull (without suspending again); `max_offset` reads a queue's max offset.
  PullRequestHoldService(std::function<void(HeldPull)> rerun,
                         std::function<std::int64_t(const std::string&, std::int32_t)> max_offset,
                         std::int64_t check_interval_ms = 1000);
  ~PullRequestHoldService();  // shutdown()
  PullRequestHoldService(const PullRequestHoldService&) = delete;
  PullRequestHoldService& operator=(const PullRequestHoldService&) = delete;

  void start();
  // Parks a pull; it is re-run at once if the queue already moved past `offset`.
  void hold(HeldPull pull);
  // The store dispatched up to `next_queue_offset` on (topic, queue_id).
  void notify_arrival(const std::string& topic, std::int32_t queue_id, std::int64_t next_queue_offset);
  // Re-runs every parked pull and stops the timer. Idempotent.
  void shutdown();

  std::size_t held_count() const;

 private:
  void run();
  void run_loop();
  // Removes and returns the held pulls of `key` that `should_wake` selects.
  std::vector<HeldPull> take(const std::string& key, const std::function<bool(const HeldPull&)>& should_wake);

  std::function<void(HeldPull)> rerun_;
  std::function<std::int64_t(const std::string&, std::int32_t)> max_offset_;
  const std::int64_t check_interval_ms_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, std::vector<HeldPull>> table_;  // "topic@queueId" -> parked pulls
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
};

std::int64_t steady_now_ms();

}  // namespace rmq::server
