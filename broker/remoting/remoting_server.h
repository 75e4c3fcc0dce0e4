// The remoting server of the name server and the broker: accept connections, serve requests by code.
//
// What it guarantees (remoting.md 1, 6):
//  * many requests in flight per connection; handlers may answer later through their Responder, from any
//    thread, so responses leave in completion order, matched by opaque;
//  * one-way requests are served but never answered;
//  * a code without a handler is answered REQUEST_CODE_NOT_SUPPORTED and the connection stays open;
//  * malformed input closes only the connection it came on, with one log line, and never the process;
//  * the application can send its own requests to a client through the Connection (invoke_async with a
//    timeout, invoke_oneway) and hears about every closed connection.
// Limits (server_limits.h): connections beyond `limits.max_connections`, or beyond
// `limits.max_connections_per_address` from one source IP, are closed as soon as they are accepted; the read and write budgets are shared by all connections of this server (one listening port).
// TLS (tls_settings.h): disabled, permissive (TLS and plain on this port) or enforcing (TLS only).
// Handlers run on the I/O threads (see RequestHandler), so one io_context with `io_threads` threads serves
// all connections; a handler with slow work hands it to its own pool and answers from there.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/remoting/connection.h"
#include "broker/remoting/address_connections.h"
#include "broker/remoting/byte_budget.h"
#include "broker/remoting/connection_set.h"
#include "broker/remoting/io_threads.h"
#include "broker/remoting/request_dispatcher.h"
#include "broker/remoting/server_limits.h"
#include "broker/remoting/tls_settings.h"

namespace rmq::remoting {

struct ServerOptions {
  ServerOptions() = default;
  ServerOptions(std::string listen_host, std::uint16_t listen_port, std::size_t thread_count,
                ServerLimits server_limits = {})
      : host(std::move(listen_host)), port(listen_port), io_threads(thread_count), limits(server_limits) {}

  std::string host = "0.0.0.0";  // an IP address (v4 or v6), not a host name
  std::uint16_t port = 0;  // 0: an ephemeral port, see RemotingServer::port()
  std::size_t io_threads = 2;
  ServerLimits limits;  // must pass check_server_limits (std::invalid_argument otherwise)
  // tls.server.* (tls_settings.h); the files are read by the constructor (TlsError when they cannot be used).
  TlsServerSettings tls;
};

class RemotingServer {
 public:
  // Throws std::invalid_argument for bad limits and TlsError (tls_context.h) for TLS files that cannot be used.
  explicit RemotingServer(ServerOptions options);
  ~RemotingServer();  // stop()
  RemotingServer(const RemotingServer&) = delete;
  RemotingServer& operator=(const RemotingServer&) = delete;

  // Configuration, before start(); std::logic_error afterwards.
  void register_handler(std::int32_t code, RequestHandler handler);
  void set_default_handler(RequestHandler handler);
  // A check run before every handler (RequestGuard); the ACL uses it.
  void set_request_guard(RequestGuard guard);
  // Runs on the connection's I/O thread once it is accepted / once it has closed (for any reason).
  void on_connection_opened(ConnectionCallback callback);
  void on_connection_closed(ConnectionCallback callback);

  // Binds, listens and starts the I/O threads. Throws std::system_error when it cannot listen.
  void start();
  // The bound port (the ephemeral one when the options said 0). Valid after start().
  std::uint16_t port() const { return bound_port_; }
  std::vector<std::shared_ptr<Connection>> connections() const { return connections_.snapshot(); }
  // Bytes all connections hold now beyond their fixed read buffers, and in reply queues (for tests, metrics).
  std::uint64_t read_budget_used_bytes() const { return read_budget_->used_bytes(); }
  std::uint64_t write_budget_used_bytes() const { return write_budget_->used_bytes(); }
  // Stops accepting, closes every connection (failing calls in flight) and joins the I/O threads.
  // Idempotent; must not be called from a handler or callback.
  void stop();

 private:
  void accept_next();
  void on_accept(const boost::system::error_code& error, Strand strand, boost::asio::ip::tcp::socket socket);

  ServerOptions options_;
  ConnectionOptions connection_options_;
  std::shared_ptr<ByteBudget> read_budget_;
  std::shared_ptr<ByteBudget> write_budget_;
  std::uint64_t refused_connections_ = 0;  // acceptor strand only
  std::uint64_t refused_per_address_ = 0;  // acceptor strand only
  AddressConnections per_address_;         // limits.max_connections_per_address
  std::shared_ptr<RequestDispatcher> dispatcher_ = std::make_shared<RequestDispatcher>();
  ConnectionCallback opened_callback_;
  ConnectionSet connections_;
  std::optional<IoThreads> io_threads_;
  std::optional<Strand> acceptor_strand_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::optional<boost::asio::steady_timer> accept_retry_timer_;
  std::uint16_t bound_port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace rmq::remoting
