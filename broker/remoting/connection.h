// One TCP connection speaking the remoting protocol, on either side (server or client).
//
// The protocol is symmetric: both ends send requests (the broker sends NOTIFY_CONSUMER_IDS_CHANGED to its
// clients), and both match responses to their own requests by opaque, not by order (remoting.md 1.1). So
// one class does both jobs for the server and the client:
//  * reading: frames are decoded as bytes arrive; a request goes to the dispatcher with a Responder, a
//    response completes the pending call with its opaque;
//  * writing: frames from any thread are queued and written in order, several per system call;
//  * calls: invoke_async registers the callback and a timeout under a fresh opaque; invoke_sync waits for it;
//    invoke_oneway sets flag bit 1 and forgets.
//
// Threads: everything that touches the socket, the queues or the pending table runs on the connection's
// strand. Public methods may be called from any thread. Handlers and callbacks run on an I/O thread and
// must not block; invoke_sync refuses to run on one (it would wait for the thread it is blocking).
//
// Failure: malformed input (frame over 16 MiB, header past the frame's end, bad header) cannot be
// resynchronized, so the connection is closed with one log line naming the peer and the reason. Closing
// fails every pending call at once and then tells the owner (which removes it and runs the user's
// closed-callback: the name server's broker expiry, the broker's client unregistration). Nothing here can
// affect another connection.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/remoting/invoke_result.h"
#include "broker/remoting/remoting_command.h"

namespace rmq::remoting {

class RequestDispatcher;

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using ClosedCallback = std::function<void(const std::shared_ptr<Connection>&)>;

  // Made by RemotingServer and RemotingClient. `socket` must be connected and bound to `strand`.
  static std::shared_ptr<Connection> create(std::shared_ptr<boost::asio::io_context> context, Strand strand,
                                            boost::asio::ip::tcp::socket socket, std::uint64_t id,
                                            std::shared_ptr<const RequestDispatcher> dispatcher,
                                            ClosedCallback on_closed);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading. Called once by the owner after it has recorded the connection.
  void start();

  std::uint64_t id() const { return id_; }
  const boost::asio::ip::tcp::endpoint& peer_endpoint() const { return peer_endpoint_; }
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return local_endpoint_; }
  // "ip:port" ("[v6]:port" for IPv6), as Java's RemotingHelper prints a channel's address.
  const std::string& peer_address() const { return peer_address_; }
  bool is_open() const { return open_.load(); }

  // Sends `request` (its opaque is assigned here, its response and one-way bits cleared) and runs `callback`
  // once with the response, a timeout after `timeout_ms`, or the connection's loss. If the connection is
  // already closed, or the request cannot be encoded, the callback runs at once on the calling thread.
  // Timeouts are clamped to [0, 2^31] ms.
  void invoke_async(RemotingCommand request, std::int64_t timeout_ms, ResponseCallback callback);
  // The same, waiting for the outcome. Throws std::logic_error on an I/O thread.
  InvokeResult invoke_sync(RemotingCommand request, std::int64_t timeout_ms);
  // Sends `request` with flag bit 1 set and a fresh opaque; no answer is expected. False when the connection
  // is closed or the frame cannot be encoded.
  bool invoke_oneway(RemotingCommand request);

  // Closes the socket and fails pending calls. Idempotent, any thread.
  void close();

 private:
  friend class Responder;

  struct PendingCall {
    ResponseCallback callback;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  Connection(std::shared_ptr<boost::asio::io_context> context, Strand strand, boost::asio::ip::tcp::socket socket,
             std::uint64_t id, std::shared_ptr<const RequestDispatcher> dispatcher, ClosedCallback on_closed);

  // Queues an answer produced by a Responder; false when the connection is closed.
  bool send_response(RemotingCommand response);
  std::int32_t next_opaque() { return static_cast<std::int32_t>(next_opaque_.fetch_add(1)); }

  // Strand only.
  void start_call(std::int32_t opaque, Bytes frame, std::int64_t timeout_ms, ResponseCallback callback);
  void on_call_timeout(std::int32_t opaque, std::int64_t timeout_ms);
  void enqueue_write(Bytes frame);
  void start_write();
  void start_read();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void handle_command(RemotingCommand command);
  void do_close(const std::string& reason);

  // Declared first so that it is destroyed last: the socket and timers below need the io_context.
  std::shared_ptr<boost::asio::io_context> context_;
  Strand strand_;
  boost::asio::ip::tcp::socket socket_;
  const std::uint64_t id_;
  const std::shared_ptr<const RequestDispatcher> dispatcher_;
  ClosedCallback on_closed_;
  boost::asio::ip::tcp::endpoint peer_endpoint_;
  boost::asio::ip::tcp::endpoint local_endpoint_;
  std::string peer_address_;
  std::atomic<bool> open_{true};
  std::atomic<std::uint32_t> next_opaque_{0};

  // Strand only from here on.
  bool closed_ = false;
  Bytes read_buffer_;
  std::size_t read_begin_ = 0;  // first byte not yet decoded
  std::size_t read_end_ = 0;    // one past the last byte received
  std::deque<Bytes> write_queue_;
  std::vector<Bytes> writing_;  // the frames of the write in progress; kept alive until it completes
  bool write_in_progress_ = false;
  std::unordered_map<std::int32_t, PendingCall> pending_;
};

}  // namespace rmq::remoting
