// A RemotingServer on 127.0.0.1 (ephemeral port) with the handlers the server and client tests drive:
//   kEcho    answers at once with the request's extFields and body
//   kHold    parks the Responder for the test to answer later (long-polling stand-in)
//   kCount   counts calls and answers nothing itself (used one-way)
//   kThrow   throws
//   kDrop    returns without answering and without keeping the Responder
//   kLater   answers 50 ms later from another thread
// Everything it starts (server threads, helper threads) is stopped and joined by its destructor.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "broker/remoting/remoting_server.h"

namespace rmq::remoting::testing {

inline constexpr std::int32_t kEcho = 1000;
inline constexpr std::int32_t kHold = 1001;
inline constexpr std::int32_t kCount = 1002;
inline constexpr std::int32_t kThrow = 1003;
inline constexpr std::int32_t kDrop = 1004;
inline constexpr std::int32_t kLater = 1005;

struct HeldRequest {
  RemotingCommand request;
  Responder responder;
};

class TestServer {
 public:
  explicit TestServer(std::size_t io_threads = 2) : server_(ServerOptions{"127.0.0.1", 0, io_threads}) {
    server_.register_handler(kEcho, [](RemotingCommand request, Responder responder) {
      RemotingCommand response = make_response(request, response_code::kSuccess);
      response.ext_fields = request.ext_fields;
      response.body = std::move(request.body);
      responder.respond(std::move(response));
    });
    server_.register_handler(kHold, [this](RemotingCommand request, Responder responder) {
      std::lock_guard lock(mutex_);
      held_.push_back(HeldRequest{std::move(request), std::move(responder)});
      changed_.notify_all();
    });
    server_.register_handler(kCount, [this](RemotingCommand, Responder) {
      std::lock_guard lock(mutex_);
      ++counted_;
      changed_.notify_all();
    });
    server_.register_handler(kThrow, [](RemotingCommand, Responder) { throw std::runtime_error("boom"); });
    server_.register_handler(kDrop, [](RemotingCommand, Responder) {});
    server_.register_handler(kLater, [this](RemotingCommand request, Responder responder) {
      std::lock_guard lock(mutex_);
      helpers_.emplace_back([request = std::move(request), responder] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        RemotingCommand response = make_response(request, response_code::kSuccess, "later");
        responder.respond(std::move(response));
      });
    });
    server_.on_connection_opened([this](const std::shared_ptr<Connection>& connection) {
      std::lock_guard lock(mutex_);
      opened_.push_back(connection);
      changed_.notify_all();
    });
    server_.on_connection_closed([this](const std::shared_ptr<Connection>& connection) {
      std::lock_guard lock(mutex_);
      closed_ids_.push_back(connection->id());
      changed_.notify_all();
    });
  }

  ~TestServer() {
    std::vector<std::thread> helpers;
    {
      std::lock_guard lock(mutex_);
      helpers.swap(helpers_);
      held_.clear();
    }
    for (auto& thread : helpers) thread.join();
    server_.stop();
  }

  RemotingServer& server() { return server_; }
  void start() { server_.start(); }
  std::uint16_t port() const { return server_.port(); }

  // Waits until `predicate` holds (checked under the lock); false after timeout_ms.
  template <typename Predicate>
  bool wait_for(Predicate predicate, int timeout_ms = 5000) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return predicate(); });
  }
  bool wait_held(std::size_t count) {
    return wait_for([&] { return held_.size() >= count; });
  }
  std::vector<HeldRequest> take_held() {
    std::lock_guard lock(mutex_);
    return std::exchange(held_, {});
  }
  std::size_t counted() {
    std::lock_guard lock(mutex_);
    return counted_;
  }
  std::vector<std::shared_ptr<Connection>> opened() {
    std::lock_guard lock(mutex_);
    return opened_;
  }
  std::vector<std::uint64_t> closed_ids() {
    std::lock_guard lock(mutex_);
    return closed_ids_;
  }

  // Guarded by mutex_; for use inside wait_for predicates.
  std::vector<HeldRequest> held_;
  std::size_t counted_ = 0;
  std::vector<std::shared_ptr<Connection>> opened_;
  std::vector<std::uint64_t> closed_ids_;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> helpers_;
  RemotingServer server_;  // last: stopped first by the destructor above, destroyed first after it
};

}  // namespace rmq::remoting::testing
