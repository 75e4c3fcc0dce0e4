#include "broker/remoting/connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cassert>
#include <chrono>
#include <cstring>
#include <future>
#include <stdexcept>

#include "broker/remoting/frame_codec.h"
#include "broker/remoting/request_dispatcher.h"
#include "broker/remoting/responder.h"

namespace rmq::remoting {
namespace {

using boost::asio::ip::tcp;

constexpr std::size_t kInitialReadBytes = 16 * 1024;
constexpr std::size_t kMinReadSpaceBytes = 4 * 1024;
// An idle buffer larger than this (left over from a big frame) is given back.
constexpr std::size_t kShrinkReadAboveBytes = 1024 * 1024;
// One gathered write takes at most this many frames / bytes, so a deep queue cannot starve the strand.
constexpr std::size_t kMaxFramesPerWrite = 64;
constexpr std::size_t kMaxBytesPerWrite = 4 * 1024 * 1024;
// invoke_sync's backstop beyond the call's own timeout (see invoke_sync).
constexpr std::chrono::milliseconds kSyncBackstop{2000};
// Longer timeouts are cut to this (about 24 days) so that now() + timeout cannot overflow a deadline.
constexpr std::int64_t kMaxTimeoutMs = std::int64_t{1} << 31;

std::chrono::milliseconds clamp_timeout(std::int64_t timeout_ms) {
  return std::chrono::milliseconds(std::clamp<std::int64_t>(timeout_ms, 0, kMaxTimeoutMs));
}

std::string format_endpoint(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

InvokeResult failed(InvokeStatus status, std::string error) {
  InvokeResult result;
  result.status = status;
  result.error = std::move(error);
  return result;
}

// User callbacks must not unwind into the read loop (it would stop reading) or the I/O thread.
void run_callback(const ResponseCallback& callback, InvokeResult result) {
  try {
    callback(std::move(result));
  } catch (const std::exception& e) {
    spdlog::error("remoting: response callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("remoting: response callback threw a non-exception");
  }
}

}  // namespace

std::shared_ptr<Connection> Connection::create(std::shared_ptr<boost::asio::io_context> context, Strand strand,
                                               tcp::socket socket, std::uint64_t id,
                                               std::shared_ptr<const RequestDispatcher> dispatcher,
                                               ClosedCallback on_closed) {
  return std::shared_ptr<Connection>(new Connection(std::move(context), std::move(strand), std::move(socket), id,
                                                    std::move(dispatcher), std::move(on_closed)));
}

Connection::Connection(std::shared_ptr<boost::asio::io_context> context, Strand strand, tcp::socket socket,
                       std::uint64_t id, std::shared_ptr<const RequestDispatcher> dispatcher,
                       ClosedCallback on_closed)
    : context_(std::move(context)),
      strand_(std::move(strand)),
      socket_(std::move(socket)),
      id_(id),
      dispatcher_(std::move(dispatcher)),
      on_closed_(std::move(on_closed)),
      read_buffer_(kInitialReadBytes) {
  assert(context_ && dispatcher_);
  boost::system::error_code error;
  peer_endpoint_ = socket_.remote_endpoint(error);
  peer_address_ = error ? std::string("unknown peer") : format_endpoint(peer_endpoint_);
  local_endpoint_ = socket_.local_endpoint(error);
}

Connection::~Connection() = default;

void Connection::start() {
  boost::asio::dispatch(strand_, [self = shared_from_this()] {
    if (!self->closed_) self->start_read();
  });
}

void Connection::invoke_async(RemotingCommand request, std::int64_t timeout_ms, ResponseCallback callback) {
  assert(callback);
  request.flag &= ~(kFlagResponse | kFlagOneway);
  request.opaque = next_opaque();
  Bytes frame;
  try {
    frame = encode_frame(request);
  } catch (const FrameTooLarge& e) {
    run_callback(callback, failed(InvokeStatus::kSendFailed, e.what()));
    return;
  }
  if (!is_open()) {
    run_callback(callback, failed(InvokeStatus::kConnectionClosed, "connection to " + peer_address_ + " is closed"));
    return;
  }
  boost::asio::post(strand_, [self = shared_from_this(), opaque = request.opaque, frame = std::move(frame),
                              timeout_ms, callback = std::move(callback)]() mutable {
    self->start_call(opaque, std::move(frame), timeout_ms, std::move(callback));
  });
}

InvokeResult Connection::invoke_sync(RemotingCommand request, std::int64_t timeout_ms) {
  if (strand_.get_inner_executor().running_in_this_thread()) {
    throw std::logic_error("remoting: invoke_sync on an I/O thread would wait for itself");
  }
  auto promise = std::make_shared<std::promise<InvokeResult>>();
  std::future<InvokeResult> future = promise->get_future();
  invoke_async(std::move(request), timeout_ms, [promise](InvokeResult result) { promise->set_value(std::move(result)); });
  // The call's own timer always answers first. The backstop only matters for a call that raced with the
  // owner's shutdown and was queued after the I/O threads had drained: it must not block its caller forever.
  if (future.wait_for(clamp_timeout(timeout_ms) + kSyncBackstop) != std::future_status::ready) {
    return failed(InvokeStatus::kTimeout,
                  fmt::format("no outcome from {} within {} ms and the backstop", peer_address_, timeout_ms));
  }
  return future.get();
}

bool Connection::invoke_oneway(RemotingCommand request) {
  request.flag &= ~kFlagResponse;
  request.mark_oneway();
  request.opaque = next_opaque();
  Bytes frame;
  try {
    frame = encode_frame(request);
  } catch (const FrameTooLarge& e) {
    spdlog::warn("remoting: one-way request to {} not sent: {}", peer_address_, e.what());
    return false;
  }
  if (!is_open()) return false;
  boost::asio::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->enqueue_write(std::move(frame));
  });
  return true;
}

void Connection::close() {
  boost::asio::dispatch(strand_, [self = shared_from_this()] { self->do_close("closed locally"); });
}

bool Connection::send_response(RemotingCommand response) {
  Bytes frame;
  try {
    frame = encode_frame(response);
  } catch (const FrameTooLarge& e) {
    // The requester still gets an answer, one it can read.
    spdlog::warn("remoting: response to {} replaced by SYSTEM_ERROR: {}", peer_address_, e.what());
    RemotingCommand error_response;
    error_response.code = response_code::kSystemError;
    error_response.opaque = response.opaque;
    error_response.flag = response.flag;
    error_response.serialize_type = response.serialize_type;
    error_response.remark = "response too large to send";
    frame = encode_frame(error_response);
  }
  if (!is_open()) return false;
  boost::asio::dispatch(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->enqueue_write(std::move(frame));
  });
  return true;
}

void Connection::start_call(std::int32_t opaque, Bytes frame, std::int64_t timeout_ms, ResponseCallback callback) {
  assert(strand_.running_in_this_thread());
  if (closed_) {
    run_callback(callback, failed(InvokeStatus::kConnectionClosed, "connection to " + peer_address_ + " is closed"));
    return;
  }
  if (pending_.contains(opaque)) {
    // Only possible after 2^32 calls with this one's namesake still pending.
    run_callback(callback, failed(InvokeStatus::kSendFailed, fmt::format("opaque {} is still in use", opaque)));
    return;
  }
  auto timer = std::make_unique<boost::asio::steady_timer>(strand_, clamp_timeout(timeout_ms));
  timer->async_wait([self = shared_from_this(), opaque, timeout_ms](const boost::system::error_code& error) {
    if (error != boost::asio::error::operation_aborted) self->on_call_timeout(opaque, timeout_ms);
  });
  pending_.emplace(opaque, PendingCall{std::move(callback), std::move(timer)});
  enqueue_write(std::move(frame));
}

void Connection::on_call_timeout(std::int32_t opaque, std::int64_t timeout_ms) {
  const auto it = pending_.find(opaque);
  if (it == pending_.end()) return;  // answered just before the timer fired
  PendingCall call = std::move(it->second);
  pending_.erase(it);
  run_callback(call.callback, failed(InvokeStatus::kTimeout, fmt::format("no response to opaque {} from {} within {} ms",
                                                                          opaque, peer_address_, timeout_ms)));
}

void Connection::enqueue_write(Bytes frame) {
  assert(strand_.running_in_this_thread());
  if (closed_) return;
  write_queue_.push_back(std::move(frame));
  if (!write_in_progress_) start_write();
}

void Connection::start_write() {
  assert(!write_in_progress_ && !write_queue_.empty() && writing_.empty());
  std::size_t batch_bytes = 0;
  while (!write_queue_.empty() && writing_.size() < kMaxFramesPerWrite && batch_bytes < kMaxBytesPerWrite) {
    batch_bytes += write_queue_.front().size();
    writing_.push_back(std::move(write_queue_.front()));
    write_queue_.pop_front();
  }
  std::vector<boost::asio::const_buffer> buffers;
  buffers.reserve(writing_.size());
  for (const Bytes& frame : writing_) buffers.emplace_back(boost::asio::buffer(frame));
  write_in_progress_ = true;
  boost::asio::async_write(socket_, buffers,
                           [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                             self->write_in_progress_ = false;
                             self->writing_.clear();
                             if (self->closed_) return;
                             if (error) {
                               self->do_close("write failed: " + error.message());
                             } else if (!self->write_queue_.empty()) {
                               self->start_write();
                             }
                           });
}

void Connection::start_read() {
  assert(read_end_ < read_buffer_.size());
  socket_.async_read_some(
      boost::asio::buffer(read_buffer_.data() + read_end_, read_buffer_.size() - read_end_),
      [self = shared_from_this()](const boost::system::error_code& error, std::size_t bytes) {
        self->on_read(error, bytes);
      });
}

void Connection::on_read(const boost::system::error_code& error, std::size_t bytes) {
  if (closed_) return;
  if (error) {
    do_close(error == boost::asio::error::eof ? std::string("peer closed the connection") : error.message());
    return;
  }
  read_end_ += bytes;
  assert(read_end_ <= read_buffer_.size());

  std::size_t needed_bytes = kFramePrefixBytes;
  while (!closed_) {
    DecodeResult result =
        decode_frame(ByteSpan(read_buffer_.data() + read_begin_, read_end_ - read_begin_));
    if (result.status == DecodeResult::Status::kError) {
      spdlog::warn("remoting: closing connection from {}: {}", peer_address_, result.error);
      do_close(result.error);
      return;
    }
    if (result.status == DecodeResult::Status::kNeedMore) {
      needed_bytes = result.frame_bytes;
      break;
    }
    assert(result.frame_bytes <= read_end_ - read_begin_);
    read_begin_ += result.frame_bytes;
    handle_command(std::move(result.command));
  }
  if (closed_) return;

  // Keep the undecoded tail at the front and make room for the rest of its frame (at most 16 MiB: the
  // decoder has already rejected anything announcing more).
  const std::size_t held_bytes = read_end_ - read_begin_;
  if (held_bytes == 0 && read_buffer_.size() > kShrinkReadAboveBytes) {
    Bytes(kInitialReadBytes).swap(read_buffer_);
  } else if (read_begin_ > 0 && held_bytes > 0) {
    std::memmove(read_buffer_.data(), read_buffer_.data() + read_begin_, held_bytes);
  }
  read_begin_ = 0;
  read_end_ = held_bytes;
  const std::size_t wanted_bytes = std::max(needed_bytes, held_bytes + kMinReadSpaceBytes);
  if (read_buffer_.size() < wanted_bytes) read_buffer_.resize(wanted_bytes);
  start_read();
}

void Connection::handle_command(RemotingCommand command) {
  if (command.is_response()) {
    const auto it = pending_.find(command.opaque);
    if (it == pending_.end()) {
      spdlog::debug("remoting: response with unknown opaque {} from {} dropped (timed out?)", command.opaque,
                    peer_address_);
      return;
    }
    PendingCall call = std::move(it->second);
    pending_.erase(it);
    call.timer->cancel();
    InvokeResult result;
    result.response = std::move(command);
    run_callback(call.callback, std::move(result));
    return;
  }
  const Responder responder(weak_from_this(), command);
  dispatcher_->dispatch(std::move(command), responder);
}

void Connection::do_close(const std::string& reason) {
  assert(strand_.running_in_this_thread());
  if (closed_) return;
  closed_ = true;
  open_.store(false);
  spdlog::debug("remoting: connection {} to {} closed: {}", id_, peer_address_, reason);
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  write_queue_.clear();

  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [opaque, call] : pending) call.timer->cancel();
  for (auto& [opaque, call] : pending) {
    run_callback(call.callback, failed(InvokeStatus::kConnectionClosed,
                                       fmt::format("connection to {} closed: {}", peer_address_, reason)));
  }
  if (on_closed_) {
    ClosedCallback on_closed = std::move(on_closed_);
    on_closed_ = nullptr;
    on_closed(shared_from_this());
  }
}

}  // namespace rmq::remoting
