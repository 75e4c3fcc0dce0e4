#include "broker/remoting/remoting_client.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <chrono>
#include <future>

#include "broker/remoting/tls_context.h"

namespace rmq::remoting {
namespace {

using boost::asio::ip::tcp;

// How long connect() waits beyond its own timer, for the case where the client is closed meanwhile.
constexpr std::chrono::milliseconds kConnectBackstop{2000};

// One connect attempt. Lives on the new connection's strand: the timer closes the socket on timeout, the
// connect handler cancels the timer, and neither can run while the other does.
struct ConnectAttempt {
  explicit ConnectAttempt(const Strand& strand) : socket(strand), timer(strand) {}
  tcp::socket socket;
  boost::asio::steady_timer timer;
  bool finished = false;
  bool timed_out = false;
  std::promise<void> done;
  std::shared_ptr<Connection> connection;
  std::string error;
};

}  // namespace

RemotingClient::RemotingClient(ClientOptions options) : io_threads_(options.io_threads, "client"), tls_(options.tls) {
  if (tls_.enable) tls_context_ = make_client_tls_context(tls_);
}

RemotingClient::~RemotingClient() { close(); }

void RemotingClient::register_handler(std::int32_t code, RequestHandler handler) {
  if (configured_) throw std::logic_error("remoting: client handlers must be registered before connect()");
  dispatcher_->set_handler(code, std::move(handler));
}

void RemotingClient::set_default_handler(RequestHandler handler) {
  if (configured_) throw std::logic_error("remoting: client handlers must be registered before connect()");
  dispatcher_->set_default_handler(std::move(handler));
}

void RemotingClient::on_connection_closed(ConnectionCallback callback) {
  if (configured_) throw std::logic_error("remoting: client callbacks must be set before connect()");
  connections_.set_closed_callback(std::move(callback));
}

std::shared_ptr<Connection> RemotingClient::connect(const std::string& host, std::uint16_t port,
                                                    std::int64_t timeout_ms) {
  if (closed_) throw std::logic_error("remoting: connect() on a closed client");
  if (io_threads_.in_io_thread()) throw std::logic_error("remoting: connect() blocks; not on an I/O thread");
  configured_ = true;
  const auto& context = io_threads_.context();
  const std::string target = fmt::format("{}:{}", host, port);

  boost::system::error_code error;
  tcp::resolver resolver(*context);
  const tcp::resolver::results_type endpoints = resolver.resolve(host, std::to_string(port), error);
  if (error) throw RemotingError(fmt::format("cannot resolve {}: {}", target, error.message()));

  const Strand strand = boost::asio::make_strand(context->get_executor());
  auto attempt = std::make_shared<ConnectAttempt>(strand);
  std::future<void> done = attempt->done.get_future();
  // Cut like call timeouts (connection.cc) so that the deadline cannot overflow.
  const auto timeout = std::chrono::milliseconds(std::clamp<std::int64_t>(timeout_ms, 0, std::int64_t{1} << 31));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  ConnectionOptions connection_options;
  if (tls_context_) {
    auto tls = std::make_shared<ConnectionTls>();
    tls->context = tls_context_;
    tls->server = false;
    tls->verify_host = tls_.verify_server;
    tls->host = host;
    connection_options.tls = std::move(tls);
  }
  boost::asio::post(strand, [this, attempt, strand, endpoints, timeout, context, connection_options] {
    attempt->timer.expires_after(timeout);
    attempt->timer.async_wait([attempt](const boost::system::error_code& wait_error) {
      if (wait_error || attempt->finished) return;
      attempt->timed_out = true;
      boost::system::error_code ignored;
      attempt->socket.close(ignored);  // the connect completes with operation_aborted
    });
    boost::asio::async_connect(
        attempt->socket, endpoints,
        [this, attempt, strand, context, connection_options](const boost::system::error_code& connect_error,
                                                             const tcp::endpoint&) {
          attempt->finished = true;
          attempt->timer.cancel();
          if (connect_error) {
            attempt->error = attempt->timed_out ? std::string("timed out") : connect_error.message();
          } else {
            boost::system::error_code ignored;
            attempt->socket.set_option(tcp::no_delay(true), ignored);
            attempt->connection = Connection::create(
                context, strand, std::move(attempt->socket), connections_.next_id(), dispatcher_,
                [this](const std::shared_ptr<Connection>& closed) { connections_.on_closed(closed); },
                connection_options);
          }
          attempt->done.set_value();
        });
  });
  if (done.wait_for(timeout + kConnectBackstop) != std::future_status::ready) {
    throw RemotingError(fmt::format("connect to {} did not complete (client closing?)", target));
  }
  if (!attempt->connection) {
    throw RemotingError(fmt::format("connect to {} failed: {} (timeout {} ms)", target, attempt->error, timeout_ms));
  }
  std::shared_ptr<Connection> connection = std::move(attempt->connection);
  if (!connections_.add(connection)) {
    connection->close();
    throw std::logic_error("remoting: connect() raced with close()");
  }
  if (!tls_context_) {
    connection->start();
    return connection;
  }
  auto ready = std::make_shared<std::promise<std::string>>();
  std::future<std::string> ready_future = ready->get_future();
  connection->start([ready](const std::string& failure) { ready->set_value(failure); });
  if (ready_future.wait_until(deadline) != std::future_status::ready) {
    connection->close();
    throw RemotingError(fmt::format("connect to {} failed: TLS handshake timed out (timeout {} ms)", target, timeout_ms));
  }
  const std::string failure = ready_future.get();
  if (!failure.empty()) {
    connection->close();
    throw RemotingError(fmt::format("connect to {} failed: {}", target, failure));
  }
  return connection;
}

void RemotingClient::close() {
  if (io_threads_.in_io_thread()) throw std::logic_error("remoting: client closed from one of its own I/O threads");
  if (closed_.exchange(true)) return;
  connections_.close_all();
  io_threads_.join();
}

}  // namespace rmq::remoting
