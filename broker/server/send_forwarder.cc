#include "broker/server/send_forwarder.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "broker/remoting/remoting_codes.h"

namespace rmq::server {

namespace {

namespace rc = remoting::response_code;

bool split_host_port(const std::string& address, std::string& host, std::uint16_t& port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= address.size()) return false;
  host = address.substr(0, colon);
  try {
    std::size_t used = 0;
    const int value = std::stoi(address.substr(colon + 1), &used);
    if (used != address.size() - colon - 1 || value <= 0 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::int64_t ms_until(ForwardClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - ForwardClock::now()).count();
}

}  // namespace

SendForwarder::SendForwarder(SendForwardOptions options, SendForwardHooks hooks)
    : options_(std::move(options)), hooks_(std::move(hooks)), client_(remoting::ClientOptions{1, options_.tls}) {
  if (!hooks_.leader_address || !hooks_.leader_known || !hooks_.writable || !hooks_.process_locally) {
    throw std::invalid_argument("SendForwarder: leader_address, leader_known, writable and process_locally are required");
  }
  thread_ = std::thread([this] { run(); });
}

SendForwarder::~SendForwarder() { shutdown(); }

bool SendForwarder::was_forwarded(const remoting::RemotingCommand& request) {
  return request.ext_fields.contains(kForwardedByField);
}

std::shared_ptr<remoting::Connection> SendForwarder::connection_to(const std::string& address, bool may_connect,
                                                                   std::string& error) {
  std::lock_guard lock(connection_mutex_);
  if (connection_ && connection_->is_open() && connected_address_ == address) return connection_;
  if (!may_connect) return nullptr;
  if (connection_) connection_->close();
  connection_.reset();
  connected_address_.clear();
  std::string host;
  std::uint16_t port = 0;
  if (!split_host_port(address, host, port)) {
    error = "the leader's address '" + address + "' is not host:port";
    return nullptr;
  }
  try {
    connection_ = client_.connect(host, port, options_.connect_timeout_ms);
    connected_address_ = address;
    return connection_;
  } catch (const std::exception& e) {
    error = std::string("cannot connect to the leader at ") + address + ": " + e.what();
    return nullptr;
  }
}

void SendForwarder::answer_unavailable(const Pending& pending, const std::string& remark) {
  inflight_.fetch_sub(1);
  refused_.fetch_add(1);
  pending.responder.respond(rc::kServiceNotAvailable, remark);
}

void SendForwarder::forward(remoting::RemotingCommand request, const remoting::Responder& responder,
                            std::optional<ForwardClock::time_point> deadline, bool refused_locally) {
  if (was_forwarded(request)) {
    refused_.fetch_add(1);
    responder.respond(rc::kServiceNotAvailable,
                      "this broker is not the leader and the send was already forwarded once (by " +
                          std::string(request.ext_fields.get(kForwardedByField).value_or("")) + ")");
    return;
  }
  if (shut_down_.load()) {
    refused_.fetch_add(1);
    responder.respond(rc::kServiceNotAvailable, "this broker is not the leader and is shutting down");
    return;
  }
  if (inflight_.fetch_add(1) >= options_.max_inflight) {
    inflight_.fetch_sub(1);
    refused_.fetch_add(1);
    responder.respond(rc::kSystemBusy, "[FORWARD]too many sends in flight to the leader (dLegerForwardMaxInflight " +
                                           std::to_string(options_.max_inflight) + "), try again");
    return;
  }
  const auto now = ForwardClock::now();
  Pending pending{std::move(request), responder, deadline.value_or(now + std::chrono::milliseconds(options_.timeout_ms)),
                  refused_locally ? now + std::chrono::milliseconds(options_.local_retry_ms) : now, now};
  if (!refused_locally) {
    // The common case, a follower with a known leader: straight on, from this thread.
    const std::string address = hooks_.leader_address(false);
    if (!address.empty() && address != options_.self_address) {
      std::string error;
      if (auto connection = connection_to(address, false, error)) {
        send(std::move(pending), address, connection);
        return;
      }
    }
  }
  park(std::move(pending));
}

void SendForwarder::park(Pending pending) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      parked_.push_back(std::move(pending));
      wake_.notify_one();
      return;
    }
  }
  answer_unavailable(pending, "this broker is not the leader and is shutting down");
}

void SendForwarder::send(Pending pending, const std::string& address,
                         const std::shared_ptr<remoting::Connection>& connection) {
  const std::int64_t remaining_ms = ms_until(pending.deadline);
  if (remaining_ms <= 0) {
    answer_unavailable(pending, "this broker is not the leader; no answer from the leader at " + address +
                                    " within dLegerForwardTimeoutMills (" + std::to_string(options_.timeout_ms) +
                                    " ms)");
    return;
  }
  // Kept unmarked, to be parked again (or processed here again) if this attempt fails.
  auto again = std::make_shared<Pending>(pending);
  pending.request.ext_fields.set(kForwardedByField, options_.self_address);
  connection->invoke_async(
      std::move(pending.request), remaining_ms, [this, again, address](remoting::InvokeResult result) {
        if (!result.ok()) {
          if (result.status == remoting::InvokeStatus::kTimeout) {
            answer_unavailable(*again, "this broker is not the leader; forwarding to the leader at " + address +
                                           " timed out (dLegerForwardTimeoutMills " +
                                           std::to_string(options_.timeout_ms) + ")");
            return;
          }
          if (hooks_.stale) hooks_.stale(address);
          if (ms_until(again->deadline) > options_.poll_interval_ms) {
            again->parked_at = ForwardClock::now();
            park(std::move(*again));
            return;
          }
          answer_unavailable(*again, "this broker is not the leader; forwarding to the leader at " + address +
                                         " failed: " + result.error);
          return;
        }
        if (result.response.code == rc::kServiceNotAvailable) {
          // It is not writable (after all, or any more): ask again who leads, until the deadline.
          if (hooks_.stale) hooks_.stale(address);
          if (ms_until(again->deadline) > options_.poll_interval_ms) {
            again->parked_at = ForwardClock::now();
            park(std::move(*again));
            return;
          }
        }
        inflight_.fetch_sub(1);
        forwarded_.fetch_add(1);
        again->responder.respond(std::move(result.response));
      });
}

void SendForwarder::run() {
  // When a Raft leader (or this node's own writability) was last seen: a send parked while none is known
  // waits at most no_leader_wait_ms beyond the later of that and its own arrival. Only this thread uses it.
  ForwardClock::time_point last_leader_seen{};
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (parked_.empty()) {
      wake_.wait(lock, [this] { return stopping_ || !parked_.empty(); });
      continue;
    }
    std::deque<Pending> batch;
    batch.swap(parked_);
    lock.unlock();

    const auto now = ForwardClock::now();
    const bool writable = hooks_.writable();
    const bool leader_known = !writable && hooks_.leader_known();
    if (writable || leader_known) last_leader_seen = now;
    std::string address;
    std::shared_ptr<remoting::Connection> connection;
    bool looked_up = false;
    std::vector<Pending> keep;
    for (Pending& p : batch) {
      if (now >= p.deadline) {
        answer_unavailable(p, std::string("this broker is not the leader and ") +
                                  (leader_known ? "the leader's address was not known (or it did not take the send)"
                                                : "no leader was known") +
                                  " within dLegerForwardTimeoutMills (" + std::to_string(options_.timeout_ms) +
                                  " ms)");
        continue;
      }
      if (writable) {
        if (now < p.not_local_before) {
          keep.push_back(std::move(p));
          continue;
        }
        inflight_.fetch_sub(1);
        try {
          hooks_.process_locally(std::move(p.request), p.responder, p.deadline);
        } catch (const std::exception& e) {
          p.responder.respond(rc::kSystemError, std::string("forwarder: ") + e.what());
        }
        continue;
      }
      if (!leader_known) {
        const auto since = std::max(p.parked_at, last_leader_seen);
        if (now - since >= std::chrono::milliseconds(options_.no_leader_wait_ms)) {
          answer_unavailable(p, "this broker is not the leader and no leader is known (waited " +
                                    std::to_string(options_.no_leader_wait_ms) + " ms)");
          continue;
        }
        keep.push_back(std::move(p));
        continue;
      }
      if (!looked_up) {
        looked_up = true;
        address = hooks_.leader_address(true);
        if (!address.empty() && address != options_.self_address) {
          std::string error;
          connection = connection_to(address, true, error);
          if (!connection) {
            spdlog::debug("broker: forwarding sends: {}", error);
            if (hooks_.stale) hooks_.stale(address);
          }
        }
      }
      if (connection) {
        send(std::move(p), address, connection);
      } else {
        keep.push_back(std::move(p));
      }
    }

    lock.lock();
    for (Pending& p : keep) parked_.push_back(std::move(p));
    if (!parked_.empty() && !stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms));
    }
  }
  std::deque<Pending> left;
  left.swap(parked_);
  lock.unlock();
  for (const Pending& p : left) answer_unavailable(p, "this broker is not the leader and is shutting down");
}

void SendForwarder::shutdown() {
  if (shut_down_.exchange(true)) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(connection_mutex_);
    if (connection_) connection_->close();
    connection_.reset();
  }
  client_.close();
}

}  // namespace rmq::server
