// The remoting client: connections to name servers and brokers for rmq-bench, the broker's registration
// with its name servers, and tests.
//
// A client owns the I/O threads and the handlers for requests the server sends it (a broker sends
// NOTIFY_CONSUMER_IDS_CHANGED, CHECK_TRANSACTION_STATE, ...); connect() hands back a Connection, which is
// where calls are made (invoke_sync, invoke_async, invoke_oneway: see connection.h). Responses are matched
// by opaque, each call has its own timeout, and losing the connection fails every call in flight at once.
// Reconnecting is the caller's decision: a closed Connection stays closed and connect() makes a new one.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "broker/remoting/connection.h"
#include "broker/remoting/connection_set.h"
#include "broker/remoting/io_threads.h"
#include "broker/remoting/request_dispatcher.h"
#include "broker/remoting/tls_settings.h"

namespace rmq::remoting {

struct ClientOptions {
  ClientOptions() = default;
  // Implicit, like the aggregate it was: ClientOptions{2}, ClientOptions{1, tls}.
  ClientOptions(std::size_t thread_count, TlsClientSettings tls_settings = {})  // NOLINT(google-explicit-constructor)
      : io_threads(thread_count), tls(std::move(tls_settings)) {}

  std::size_t io_threads = 1;
  // tls.enable=true: every connection is TLS; the handshake is part of connect() and of its timeout.
  TlsClientSettings tls;
};

// A connection could not be made (resolve failure, refused, timed out).
class RemotingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RemotingClient {
 public:
  // Throws TlsError (tls_context.h) when TLS is enabled and its files cannot be used.
  explicit RemotingClient(ClientOptions options = {});
  ~RemotingClient();  // close()
  RemotingClient(const RemotingClient&) = delete;
  RemotingClient& operator=(const RemotingClient&) = delete;

  // Configuration, before the first connect(); std::logic_error afterwards. Without a handler a server
  // request is answered REQUEST_CODE_NOT_SUPPORTED (one-way ones are dropped).
  void register_handler(std::int32_t code, RequestHandler handler);
  void set_default_handler(RequestHandler handler);
  void on_connection_closed(ConnectionCallback callback);

  // Connects to host:port within timeout_ms (with TLS: and completes the handshake). Throws RemotingError on failure and std::logic_error after
  // close() or on one of the client's I/O threads.
  std::shared_ptr<Connection> connect(const std::string& host, std::uint16_t port, std::int64_t timeout_ms);

  // Closes every connection (failing calls in flight) and joins the I/O threads. Idempotent; must not be
  // called from a handler or callback.
  void close();

 private:
  std::shared_ptr<RequestDispatcher> dispatcher_ = std::make_shared<RequestDispatcher>();
  ConnectionSet connections_;
  IoThreads io_threads_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // null: plain
  TlsClientSettings tls_;
  std::atomic<bool> configured_{false};
  std::atomic<bool> closed_{false};
};

}  // namespace rmq::remoting
