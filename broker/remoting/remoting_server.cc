#include "broker/remoting/remoting_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <stdexcept>
#include <system_error>

#include "broker/remoting/tls_context.h"

namespace rmq::remoting {
namespace {

using boost::asio::ip::tcp;

// After a failed accept (EMFILE and friends) wait this long before the next, instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

}  // namespace

RemotingServer::RemotingServer(ServerOptions options) : options_(std::move(options)) {
  if (auto problem = check_server_limits(options_.limits)) throw std::invalid_argument("remoting: " + *problem);
  const ServerLimits& limits = options_.limits;
  read_budget_ = std::make_shared<ByteBudget>(static_cast<std::uint64_t>(limits.read_buffer_total_bytes));
  write_budget_ = std::make_shared<ByteBudget>(static_cast<std::uint64_t>(limits.write_buffer_total_bytes));
  connection_options_.idle_timeout_ms = limits.idle_timeout_seconds * 1000;
  connection_options_.write_high_water_bytes = static_cast<std::size_t>(limits.write_high_water_bytes);
  connection_options_.write_low_water_bytes = static_cast<std::size_t>(limits.write_low_water_bytes);
  connection_options_.write_queue_max_bytes = static_cast<std::size_t>(limits.write_queue_max_bytes);
  connection_options_.read_budget = read_budget_;
  connection_options_.write_budget = write_budget_;
  if (options_.tls.enabled()) {
    auto tls = std::make_shared<ConnectionTls>();
    tls->context = make_server_tls_context(options_.tls);
    tls->server = true;
    tls->permissive = options_.tls.mode == TlsMode::kPermissive;
    connection_options_.tls = std::move(tls);
  }
}

RemotingServer::~RemotingServer() { stop(); }

void RemotingServer::register_handler(std::int32_t code, RequestHandler handler) {
  if (started_) throw std::logic_error("remoting: handlers must be registered before the server starts");
  dispatcher_->set_handler(code, std::move(handler));
}

void RemotingServer::set_default_handler(RequestHandler handler) {
  if (started_) throw std::logic_error("remoting: handlers must be registered before the server starts");
  dispatcher_->set_default_handler(std::move(handler));
}

void RemotingServer::set_request_guard(RequestGuard guard) {
  if (started_) throw std::logic_error("remoting: the request guard must be set before the server starts");
  dispatcher_->set_guard(std::move(guard));
}

void RemotingServer::on_connection_opened(ConnectionCallback callback) {
  if (started_) throw std::logic_error("remoting: callbacks must be set before the server starts");
  opened_callback_ = std::move(callback);
}

void RemotingServer::on_connection_closed(ConnectionCallback callback) {
  if (started_) throw std::logic_error("remoting: callbacks must be set before the server starts");
  connections_.set_closed_callback(std::move(callback));
}

void RemotingServer::start() {
  if (started_) throw std::logic_error("remoting: server started twice");
  io_threads_.emplace(options_.io_threads, "server");
  const auto& context = io_threads_->context();
  acceptor_strand_.emplace(boost::asio::make_strand(context->get_executor()));
  accept_retry_timer_.emplace(*acceptor_strand_);
  acceptor_.emplace(*acceptor_strand_);
  // Boost's error codes for socket calls are errno values; they are rethrown as std::system_error so that
  // callers need no Boost types.
  boost::system::error_code error;
  const auto fail = [&](const char* what) {
    acceptor_.reset();
    io_threads_->join();
    throw std::system_error(error.value(), std::system_category(),
                            fmt::format("remoting: {} {}:{}", what, options_.host, options_.port));
  };
  const auto address = boost::asio::ip::make_address(options_.host, error);
  if (error) fail("bad listen address");
  const tcp::endpoint endpoint(address, options_.port);
  acceptor_->open(endpoint.protocol(), error);
  if (error) fail("cannot open a socket for");
  acceptor_->set_option(tcp::acceptor::reuse_address(true), error);
  if (error) fail("cannot set SO_REUSEADDR for");
  acceptor_->bind(endpoint, error);
  if (error) fail("cannot bind");
  acceptor_->listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) fail("cannot listen on");
  bound_port_ = acceptor_->local_endpoint(error).port();
  if (error) fail("cannot read the bound port of");
  started_ = true;
  boost::asio::dispatch(*acceptor_strand_, [this] { accept_next(); });
}

void RemotingServer::accept_next() {
  auto strand = boost::asio::make_strand(io_threads_->context()->get_executor());
  acceptor_->async_accept(strand, [this, strand](const boost::system::error_code& error, tcp::socket socket) {
    on_accept(error, strand, std::move(socket));
  });
}

void RemotingServer::on_accept(const boost::system::error_code& error, Strand strand, tcp::socket socket) {
  if (!acceptor_->is_open()) return;  // stop() closed it
  if (error) {
    spdlog::warn("remoting: accept on port {} failed: {}; retrying", bound_port_, error.message());
    accept_retry_timer_->expires_after(kAcceptRetryDelay);
    accept_retry_timer_->async_wait([this](const boost::system::error_code& wait_error) {
      if (!wait_error && acceptor_->is_open()) accept_next();
    });
    return;
  }
  boost::system::error_code ignored;
  if (connections_.size() >= static_cast<std::size_t>(options_.limits.max_connections)) {
    // Closed before anything is read: the peer sees its connection reset or closed. One line per power of
    // two refusals, so that a flood cannot fill the log.
    ++refused_connections_;
    if ((refused_connections_ & (refused_connections_ - 1)) == 0) {
      const auto peer = socket.remote_endpoint(ignored);
      spdlog::warn("remoting: port {} refused a connection from {} ({} refused so far): {} connections open "
                   "(serverMaxConnections)",
                   bound_port_, peer.address().to_string(), refused_connections_, options_.limits.max_connections);
    }
    socket.close(ignored);
    accept_next();
    return;
  }
  // The source IP, without the port: one client machine may hold at most max_connections_per_address.
  std::string source = socket.remote_endpoint(ignored).address().to_string();
  if (!per_address_.try_acquire(source, options_.limits.max_connections_per_address)) {
    ++refused_per_address_;
    if ((refused_per_address_ & (refused_per_address_ - 1)) == 0) {
      spdlog::warn("remoting: port {} refused a connection from {} ({} refused so far): {} connections open from "
                   "that address (serverMaxConnectionsPerAddress)",
                   bound_port_, source, refused_per_address_, options_.limits.max_connections_per_address);
    }
    socket.close(ignored);
    accept_next();
    return;
  }
  socket.set_option(tcp::no_delay(true), ignored);
  auto connection = Connection::create(io_threads_->context(), strand, std::move(socket),
                                       connections_.next_id(), dispatcher_,
                                       [this, source](const std::shared_ptr<Connection>& closed) {
                                         per_address_.release(source);
                                         connections_.on_closed(closed);
                                       },
                                       connection_options_);
  if (connections_.add(connection)) {
    if (opened_callback_) {
      // On the connection's strand, so it runs before any of the connection's requests are handled.
      boost::asio::post(strand, [this, connection] {
        try {
          opened_callback_(connection);
        } catch (const std::exception& e) {
          spdlog::error("remoting: connection-opened callback threw: {}", e.what());
        }
      });
    }
    connection->start();
  } else {
    connection->close();
  }
  accept_next();
}

void RemotingServer::stop() {
  if (!started_ || stopped_) return;
  if (io_threads_->in_io_thread()) throw std::logic_error("remoting: server stopped from one of its own I/O threads");
  stopped_ = true;
  // Close the acceptor on its strand: Asio objects are not safe for concurrent use.
  std::promise<void> acceptor_closed;
  boost::asio::dispatch(*acceptor_strand_, [this, &acceptor_closed] {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    accept_retry_timer_->cancel();
    acceptor_closed.set_value();
  });
  acceptor_closed.get_future().wait();
  connections_.close_all();
  io_threads_->join();
}

}  // namespace rmq::remoting
