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
// Limits (ConnectionOptions, set by the server from server_limits.h; a client's connections have none):
//  * the read buffer grows with the bytes that arrive, never with what a frame merely announces, and shrinks
//    when they are decoded; growth beyond the first 16 KiB is taken from the server's read budget, and a
//    connection that would exceed it is closed;
//  * replies not yet taken by the peer count against the server's write budget; at the high water mark the
//    connection stops being read (the peer's further requests wait in TCP) until the queue is back at the
//    low water mark; a connection that is already behind (past the low water mark) is closed when its
//    queue would exceed its maximum or the server's write budget is exhausted;
//  * a connection with no byte read and no byte written for the idle timeout is closed, which also ends a
//    peer that stopped reading (its writes make no progress, and it is not read meanwhile).
//
// TLS (ConnectionOptions::tls, tls_context.h): the same frames inside a TLS stream. A server connection in
// permissive mode peeks at the first byte before reading anything: 0x16 (a TLS handshake record) starts a
// handshake, anything else is served plain. Writes wait until the handshake is done. With TLS, the frames
// of one gathered write are copied into one buffer (Asio's TLS stream writes one buffer per call; one
// record for many small replies is also cheaper). Without TLS the path is the plain socket's, as before:
// a null check per read and per write, no copy and no virtual call.
//
// Failure: malformed input (frame over 16 MiB, header past the frame's end, bad header) cannot be
// resynchronized, so the connection is closed with one log line naming the peer and the reason. Closing
// fails every pending call at once and then tells the owner (which removes it and runs the user's
// closed-callback: the name server's broker expiry, the broker's client unregistration). Nothing here can
// affect another connection.
#pragma once

#include <atomic>
#include <chrono>
#include <limits>
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

#include "broker/remoting/byte_budget.h"
#include "broker/remoting/invoke_result.h"
#include "broker/remoting/read_buffer.h"
#include "broker/remoting/remoting_command.h"

namespace boost::asio::ssl {
class context;
}

namespace rmq::remoting {

class RequestDispatcher;
struct TlsStream;  // tls_stream.h; only connection.cc needs it

// TLS for one connection: the shared context and which side of the handshake this end is.
struct ConnectionTls {
  std::shared_ptr<boost::asio::ssl::context> context;
  bool server = true;
  bool permissive = false;   // server: a connection whose first byte is not 0x16 is served plain
  bool verify_host = false;  // client: the server's certificate must name `host`
  std::string host;          // client: SNI (unless an IP address) and the name checked
};

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// What a connection may hold and how long it may sit idle. The defaults are a client's: no limits.
struct ConnectionOptions {
  std::int64_t idle_timeout_ms = 0;  // 0: never closed for being idle
  // Stop reading at or above `write_high_water_bytes` queued, read again at or below `write_low_water_bytes`.
  std::size_t write_high_water_bytes = std::numeric_limits<std::size_t>::max();
  std::size_t write_low_water_bytes = std::numeric_limits<std::size_t>::max();
  // A connection past the low water mark whose queue would exceed this is closed.
  std::size_t write_queue_max_bytes = std::numeric_limits<std::size_t>::max();
  std::shared_ptr<ByteBudget> read_budget;   // null: read buffers unbounded in total
  std::shared_ptr<ByteBudget> write_budget;  // null: write queues unbounded in total
  std::shared_ptr<const ConnectionTls> tls;  // null: plain TCP
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using ClosedCallback = std::function<void(const std::shared_ptr<Connection>&)>;

  // Made by RemotingServer and RemotingClient. `socket` must be connected and bound to `strand`.
  static std::shared_ptr<Connection> create(std::shared_ptr<boost::asio::io_context> context, Strand strand,
                                            boost::asio::ip::tcp::socket socket, std::uint64_t id,
                                            std::shared_ptr<const RequestDispatcher> dispatcher,
                                            ClosedCallback on_closed, ConnectionOptions options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs once on the strand when the connection is ready to carry frames (empty error) or has failed to
  // become ready (the TLS handshake failed; the connection is closed by then).
  using ReadyCallback = std::function<void(const std::string& error)>;
  // Starts reading (after the TLS handshake, with TLS). Called once by the owner after it has recorded the
  // connection.
  void start(ReadyCallback on_ready = nullptr);
  // True when this connection carries TLS (known once it is ready; permissive servers decide per connection).
  bool is_tls() const { return tls_active_.load(); }

  std::uint64_t id() const { return id_; }
  const boost::asio::ip::tcp::endpoint& peer_endpoint() const { return peer_endpoint_; }
  const boost::asio::ip::tcp::endpoint& local_endpoint() const { return local_endpoint_; }
  // "ip:port" ("[v6]:port" for IPv6), as Java's RemotingHelper prints a channel's address.
  const std::string& peer_address() const { return peer_address_; }
  bool is_open() const { return open_.load(); }
  // Bytes of replies and requests queued but not yet taken by the peer (approximate off the strand).
  std::size_t queued_write_bytes() const { return queued_write_bytes_atomic_.load(); }

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
  // Sends each request as invoke_oneway does, in order, with one hand-off to the strand for all of them: a
  // caller with several frames for this peer wakes its I/O thread once, and they go out in one gathered write.
  // A request that cannot be encoded is skipped (logged). Returns how many were queued (0 when closed).
  std::size_t invoke_oneway_batch(std::vector<RemotingCommand> requests);

  // Closes the socket and fails pending calls. Idempotent, any thread.
  void close();

 private:
  friend class Responder;

  struct PendingCall {
    ResponseCallback callback;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  Connection(std::shared_ptr<boost::asio::io_context> context, Strand strand, boost::asio::ip::tcp::socket socket,
             std::uint64_t id, std::shared_ptr<const RequestDispatcher> dispatcher, ClosedCallback on_closed,
             ConnectionOptions options);

  // Queues an answer produced by a Responder; false when the connection is closed.
  bool send_response(RemotingCommand response);
  std::int32_t next_opaque() { return static_cast<std::int32_t>(next_opaque_.fetch_add(1)); }

  // Strand only.
  void start_call(std::int32_t opaque, Bytes frame, std::int64_t timeout_ms, ResponseCallback callback);
  void on_call_timeout(std::int32_t opaque, std::int64_t timeout_ms);
  void enqueue_write(Bytes frame);
  void start_write();
  void on_written(const boost::system::error_code& error, std::size_t bytes);
  void set_queued_write_bytes(std::size_t bytes);
  bool write_backlogged() const { return queued_write_bytes_ >= options_.write_high_water_bytes; }
  void start_read();
  // The socket's or the TLS stream's async_write_some of writing_buffers_.
  void write_some();
  // TLS: permissive peek, handshake, and what follows.
  void start_tls(ReadyCallback on_ready);
  void start_handshake(ReadyCallback on_ready);
  void become_ready(const ReadyCallback& on_ready);
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  // Decodes and handles the buffered frames (unless the write queue is backlogged), sizes the buffer for
  // what is still to come, and reads again.
  void process_input();
  // False when the connection was closed because the read budget would be exceeded or memory ran out.
  bool resize_read_buffer(std::size_t size_bytes, std::size_t keep_bytes);
  void schedule_idle_check();
  void on_idle_check();
  void handle_command(RemotingCommand command);
  void do_close(const std::string& reason);

  // Declared first so that it is destroyed last: the socket and timers below need the io_context.
  std::shared_ptr<boost::asio::io_context> context_;
  Strand strand_;
  boost::asio::ip::tcp::socket socket_;
  const std::uint64_t id_;
  const std::shared_ptr<const RequestDispatcher> dispatcher_;
  ClosedCallback on_closed_;
  const ConnectionOptions options_;
  boost::asio::ip::tcp::endpoint peer_endpoint_;
  boost::asio::ip::tcp::endpoint local_endpoint_;
  std::string peer_address_;
  std::atomic<bool> open_{true};
  std::atomic<std::uint32_t> next_opaque_{0};
  std::atomic<std::size_t> queued_write_bytes_atomic_{0};
  std::atomic<bool> tls_active_{false};

  // Strand only from here on.
  bool closed_ = false;
  ReadBuffer read_buffer_;
  std::size_t read_begin_ = 0;  // first byte not yet decoded
  std::size_t read_end_ = 0;    // one past the last byte received
  std::size_t read_budget_bytes_ = 0;  // taken from options_.read_budget: the buffer's size beyond the first
  bool read_in_progress_ = false;
  bool reading_paused_ = false;  // backpressure: the write queue reached the high water mark
  std::deque<Bytes> write_queue_;
  std::vector<Bytes> writing_;  // the frames of the write in progress; kept alive until it completes
  std::vector<boost::asio::const_buffer> writing_buffers_;  // what of `writing_` is still to be written
  bool write_in_progress_ = false;
  std::size_t queued_write_bytes_ = 0;  // write_queue_ plus the unwritten part of writing_
  std::size_t write_budget_bytes_ = 0;  // taken from options_.write_budget
  std::chrono::steady_clock::time_point last_activity_;
  std::unique_ptr<boost::asio::steady_timer> idle_timer_;
  std::unordered_map<std::int32_t, PendingCall> pending_;
  // TLS (null without): created in start(), over socket_.
  std::unique_ptr<TlsStream> tls_;
  bool handshaking_ = false;  // no write starts while set (TLS not decided or not finished)
  Bytes tls_write_buffer_;     // the frames of the write in progress, contiguous
  std::uint8_t peeked_byte_ = 0;
};

}  // namespace rmq::remoting
