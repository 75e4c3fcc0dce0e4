#include "broker/remoting/connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <cassert>
#include <chrono>
#include <cstring>
#include <future>
#include <stdexcept>

#include "broker/remoting/frame_codec.h"
#include "broker/remoting/request_dispatcher.h"
#include "broker/remoting/responder.h"
#include "broker/remoting/tls_stream.h"

namespace rmq::remoting {
namespace {

using boost::asio::ip::tcp;

// Every connection's buffer starts at this size and never goes below it; only growth beyond it counts
// against the server's read budget.
constexpr std::size_t kInitialReadBytes = 16 * 1024;
// A read is offered at least this much free space (unless the frame in progress needs less).
constexpr std::size_t kMinReadSpaceBytes = 4 * 1024;
// A connection closed with at least this many reply bytes queued has just freed that much heap memory; see
// give_back_free_heap.
constexpr std::size_t kTrimAfterDroppingBytes = 4 * 1024 * 1024;
// How often an idle timeout is checked, at most; a shorter timeout is checked four times per period.
constexpr std::chrono::milliseconds kMaxIdleCheckPeriod{1000};
// One gathered write takes at most this many frames / bytes, so a deep queue cannot starve the strand.
constexpr std::size_t kMaxFramesPerWrite = 64;
constexpr std::size_t kMaxBytesPerWrite = 4 * 1024 * 1024;
// The first byte of a TLS connection: the record type of the ClientHello (RFC 8446 5.1, handshake = 22).
constexpr std::uint8_t kTlsHandshakeRecord = 0x16;
// A TLS write buffer larger than this is given back after its write instead of being kept for the next.
constexpr std::size_t kKeepTlsWriteBufferBytes = 1024 * 1024;
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

// Reply frames are ordinary heap blocks (std::vector), and glibc keeps freed blocks of a few hundred KiB in its
// arenas rather than returning them: its mmap threshold rises to the largest block freed, and an arena only
// shrinks from its top. After a connection that was not taking its replies is closed with megabytes queued,
// that memory would stay with the process until reused. malloc_trim returns the free pages of every arena
// (madvise, so it also works in the middle of a heap). It walks all arenas under their locks, which is why it
// runs only here, for a connection that dropped at least kTrimAfterDroppingBytes, not on every close.
void give_back_free_heap() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

}  // namespace

std::shared_ptr<Connection> Connection::create(std::shared_ptr<boost::asio::io_context> context, Strand strand,
                                               tcp::socket socket, std::uint64_t id,
                                               std::shared_ptr<const RequestDispatcher> dispatcher,
                                               ClosedCallback on_closed, ConnectionOptions options) {
  return std::shared_ptr<Connection>(new Connection(std::move(context), std::move(strand), std::move(socket), id,
                                                    std::move(dispatcher), std::move(on_closed),
                                                    std::move(options)));
}

Connection::Connection(std::shared_ptr<boost::asio::io_context> context, Strand strand, tcp::socket socket,
                       std::uint64_t id, std::shared_ptr<const RequestDispatcher> dispatcher,
                       ClosedCallback on_closed, ConnectionOptions options)
    : context_(std::move(context)),
      strand_(std::move(strand)),
      socket_(std::move(socket)),
      id_(id),
      dispatcher_(std::move(dispatcher)),
      on_closed_(std::move(on_closed)),
      options_(std::move(options)),
      read_buffer_(kInitialReadBytes) {
  assert(context_ && dispatcher_);
  assert(options_.write_low_water_bytes <= options_.write_high_water_bytes);
  boost::system::error_code error;
  peer_endpoint_ = socket_.remote_endpoint(error);
  peer_address_ = error ? std::string("unknown peer") : format_endpoint(peer_endpoint_);
  local_endpoint_ = socket_.local_endpoint(error);
  handshaking_ = options_.tls != nullptr;
}

Connection::~Connection() {
  // do_close gave the budgets back; a connection destroyed without closing (never started) does it here.
  if (options_.read_budget && read_budget_bytes_ > 0) options_.read_budget->release(read_budget_bytes_);
  if (options_.write_budget && write_budget_bytes_ > 0) options_.write_budget->release(write_budget_bytes_);
}

void Connection::start(ReadyCallback on_ready) {
  boost::asio::dispatch(strand_, [self = shared_from_this(), on_ready = std::move(on_ready)]() mutable {
    if (self->closed_) {
      if (on_ready) on_ready("connection to " + self->peer_address_ + " is closed");
      return;
    }
    self->last_activity_ = std::chrono::steady_clock::now();
    // Also bounds a TLS handshake that never completes.
    if (self->options_.idle_timeout_ms > 0) {
      self->idle_timer_ = std::make_unique<boost::asio::steady_timer>(self->strand_);
      self->schedule_idle_check();
    }
    if (self->options_.tls) {
      self->start_tls(std::move(on_ready));
      return;
    }
    self->start_read();
    if (on_ready) on_ready("");
  });
}

void Connection::start_tls(ReadyCallback on_ready) {
  const ConnectionTls& tls = *options_.tls;
  if (!tls.server || !tls.permissive) {
    start_handshake(std::move(on_ready));
    return;
  }
  // Permissive: look at the first byte without taking it (a plain client's frame stays for the decoder).
  socket_.async_receive(
      boost::asio::buffer(&peeked_byte_, 1), boost::asio::socket_base::message_peek,
      [self = shared_from_this(), on_ready = std::move(on_ready)](const boost::system::error_code& error,
                                                                  std::size_t bytes) mutable {
        if (self->closed_) {
          if (on_ready) on_ready("connection closed before its first byte");
          return;
        }
        if (error || bytes == 0) {
          self->do_close(error ? error.message() : std::string("peer closed the connection"));
          if (on_ready) on_ready("connection closed before its first byte");
          return;
        }
        self->last_activity_ = std::chrono::steady_clock::now();
        if (self->peeked_byte_ == kTlsHandshakeRecord) {
          self->start_handshake(std::move(on_ready));
          return;
        }
        self->handshaking_ = false;  // plain
        self->become_ready(on_ready);
      });
}

void Connection::start_handshake(ReadyCallback on_ready) {
  const ConnectionTls& tls = *options_.tls;
  tls_ = std::make_unique<TlsStream>(socket_, *tls.context);
  if (!tls.server) {
    boost::system::error_code not_an_ip;
    boost::asio::ip::make_address(tls.host, not_an_ip);
    // SNI carries host names only (RFC 6066 3).
    if (not_an_ip && !tls.host.empty()) SSL_set_tlsext_host_name(tls_->stream.native_handle(), tls.host.c_str());
    if (tls.verify_host) tls_->stream.set_verify_callback(boost::asio::ssl::host_name_verification(tls.host));
  }
  tls_->stream.async_handshake(
      tls.server ? boost::asio::ssl::stream_base::server : boost::asio::ssl::stream_base::client,
      [self = shared_from_this(), on_ready = std::move(on_ready)](const boost::system::error_code& error) {
        if (self->closed_) {
          if (on_ready) on_ready("connection closed during the TLS handshake");
          return;
        }
        if (error) {
          const std::string reason = error.message();
          const bool enforcing_server = self->options_.tls->server && !self->options_.tls->permissive;
          spdlog::warn("remoting: closing connection {} {}: TLS handshake failed: {}{}",
                       self->options_.tls->server ? "from" : "to", self->peer_address_, reason,
                       enforcing_server ? " (TLS is required on this port: plain client?)" : "");
          self->do_close("TLS handshake failed: " + reason);
          if (on_ready) on_ready("TLS handshake failed: " + reason);
          return;
        }
        self->last_activity_ = std::chrono::steady_clock::now();
        self->tls_active_.store(true);
        self->handshaking_ = false;
        self->become_ready(on_ready);
      });
}

void Connection::become_ready(const ReadyCallback& on_ready) {
  start_read();
  if (!write_in_progress_ && !write_queue_.empty()) start_write();
  if (on_ready) on_ready("");
}

void Connection::schedule_idle_check() {
  const auto period = std::min<std::chrono::milliseconds>(
      kMaxIdleCheckPeriod, std::chrono::milliseconds(std::max<std::int64_t>(1, options_.idle_timeout_ms / 4)));
  idle_timer_->expires_after(period);
  idle_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error != boost::asio::error::operation_aborted) self->on_idle_check();
  });
}

void Connection::on_idle_check() {
  if (closed_) return;
  const auto idle = std::chrono::steady_clock::now() - last_activity_;
  if (idle >= std::chrono::milliseconds(options_.idle_timeout_ms)) {
    spdlog::info("remoting: closing connection from {}: nothing read or written for {} ms{}", peer_address_,
                 std::chrono::duration_cast<std::chrono::milliseconds>(idle).count(),
                 queued_write_bytes_ > 0 ? fmt::format(" ({} reply bytes not taken)", queued_write_bytes_) : "");
    do_close("idle timeout");
    return;
  }
  schedule_idle_check();
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

std::size_t Connection::invoke_oneway_batch(std::vector<RemotingCommand> requests) {
  std::vector<Bytes> frames;
  frames.reserve(requests.size());
  for (RemotingCommand& request : requests) {
    request.flag &= ~kFlagResponse;
    request.mark_oneway();
    request.opaque = next_opaque();
    try {
      frames.push_back(encode_frame(request));
    } catch (const FrameTooLarge& e) {
      spdlog::warn("remoting: one-way request to {} not sent: {}", peer_address_, e.what());
    }
  }
  if (frames.empty() || !is_open()) return 0;
  const std::size_t count = frames.size();
  boost::asio::post(strand_, [self = shared_from_this(), frames = std::move(frames)]() mutable {
    for (Bytes& frame : frames) self->enqueue_write(std::move(frame));
  });
  return count;
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
  const std::size_t frame_bytes = frame.size();
  // Reading stops at the high water mark, but replies to requests read before it (answered later from a
  // handler's pool, like pulls) still come: a peer that is behind is not allowed more than the maximum.
  if (queued_write_bytes_ > options_.write_low_water_bytes &&
      frame_bytes > options_.write_queue_max_bytes - std::min(queued_write_bytes_, options_.write_queue_max_bytes)) {
    spdlog::warn("remoting: closing connection from {}: {} reply bytes not taken, one more reply would pass {} "
                 "(serverWriteQueueMaxBytes)",
                 peer_address_, queued_write_bytes_, options_.write_queue_max_bytes);
    do_close("replies not taken, write queue full");
    return;
  }
  if (options_.write_budget) {
    const std::uint64_t total = options_.write_budget->acquire(frame_bytes);
    write_budget_bytes_ += frame_bytes;
    // Over the budget, the connections that are behind go first: a peer taking its replies has (almost)
    // nothing queued and keeps working.
    if (total > options_.write_budget->cap_bytes() && queued_write_bytes_ > options_.write_low_water_bytes) {
      spdlog::warn("remoting: closing connection from {}: {} reply bytes not taken while all connections hold {} "
                   "(serverWriteBufferTotalBytes {})",
                   peer_address_, queued_write_bytes_, total, options_.write_budget->cap_bytes());
      do_close("replies not taken, write budget exhausted");
      return;
    }
  }
  set_queued_write_bytes(queued_write_bytes_ + frame_bytes);
  write_queue_.push_back(std::move(frame));
  if (!write_in_progress_ && !handshaking_) start_write();
}

void Connection::set_queued_write_bytes(std::size_t bytes) {
  queued_write_bytes_ = bytes;
  queued_write_bytes_atomic_.store(bytes);
}

void Connection::start_write() {
  assert(!write_in_progress_ && !write_queue_.empty() && writing_.empty());
  std::size_t batch_bytes = 0;
  while (!write_queue_.empty() && writing_.size() < kMaxFramesPerWrite && batch_bytes < kMaxBytesPerWrite) {
    batch_bytes += write_queue_.front().size();
    writing_.push_back(std::move(write_queue_.front()));
    write_queue_.pop_front();
  }
  writing_buffers_.clear();
  if (tls_) {
    tls_write_buffer_.clear();
    tls_write_buffer_.reserve(batch_bytes);
    for (const Bytes& frame : writing_) tls_write_buffer_.insert(tls_write_buffer_.end(), frame.begin(), frame.end());
    writing_buffers_.emplace_back(boost::asio::buffer(tls_write_buffer_));
  } else {
    writing_buffers_.reserve(writing_.size());
    for (const Bytes& frame : writing_) writing_buffers_.emplace_back(boost::asio::buffer(frame));
  }
  write_in_progress_ = true;
  write_some();
}

void Connection::write_some() {
  // write_some, not async_write: every partial write is progress (for the idle timeout and the water marks).
  auto handler = [self = shared_from_this()](const boost::system::error_code& error, std::size_t bytes) {
    self->on_written(error, bytes);
  };
  if (tls_) {
    tls_->stream.async_write_some(writing_buffers_, std::move(handler));
  } else {
    socket_.async_write_some(writing_buffers_, std::move(handler));
  }
}

void Connection::on_written(const boost::system::error_code& error, std::size_t bytes) {
  if (closed_) {
    write_in_progress_ = false;
    writing_.clear();
    writing_buffers_.clear();
    return;
  }
  if (error) {
    write_in_progress_ = false;
    writing_buffers_.clear();
    do_close("write failed: " + error.message());
    writing_.clear();
    return;
  }
  if (bytes > 0) last_activity_ = std::chrono::steady_clock::now();
  assert(bytes <= queued_write_bytes_);
  set_queued_write_bytes(queued_write_bytes_ - bytes);
  if (options_.write_budget) {
    options_.write_budget->release(bytes);
    write_budget_bytes_ -= bytes;
  }
  std::size_t left = bytes;
  std::size_t done_buffers = 0;
  while (done_buffers < writing_buffers_.size() && left >= writing_buffers_[done_buffers].size()) {
    left -= writing_buffers_[done_buffers].size();
    ++done_buffers;
  }
  writing_buffers_.erase(writing_buffers_.begin(), writing_buffers_.begin() + static_cast<std::ptrdiff_t>(done_buffers));
  if (!writing_buffers_.empty()) {
    writing_buffers_.front() += left;
    write_some();
  } else {
    write_in_progress_ = false;
    writing_.clear();
    if (tls_ && tls_write_buffer_.capacity() > kKeepTlsWriteBufferBytes) Bytes().swap(tls_write_buffer_);
    if (!write_queue_.empty()) start_write();
  }
  if (reading_paused_ && queued_write_bytes_ <= options_.write_low_water_bytes) {
    reading_paused_ = false;
    process_input();
  }
}

void Connection::start_read() {
  if (closed_ || read_in_progress_ || reading_paused_) return;
  assert(read_end_ < read_buffer_.size());
  read_in_progress_ = true;
  const auto buffer = boost::asio::buffer(read_buffer_.data() + read_end_, read_buffer_.size() - read_end_);
  auto handler = [self = shared_from_this()](const boost::system::error_code& error, std::size_t bytes) {
    self->on_read(error, bytes);
  };
  if (tls_) {
    tls_->stream.async_read_some(buffer, std::move(handler));
  } else {
    socket_.async_read_some(buffer, std::move(handler));
  }
}

void Connection::on_read(const boost::system::error_code& error, std::size_t bytes) {
  read_in_progress_ = false;
  if (closed_) {
    read_buffer_.release();  // do_close could not: this read still owned the buffer
    return;
  }
  if (error) {
    // A TLS peer that closes without close_notify reports stream_truncated: also a close.
    do_close(error == boost::asio::error::eof || error == boost::asio::ssl::error::stream_truncated
                 ? std::string("peer closed the connection")
                 : error.message());
    return;
  }
  if (bytes > 0) last_activity_ = std::chrono::steady_clock::now();
  read_end_ += bytes;
  assert(read_end_ <= read_buffer_.size());
  process_input();
}

void Connection::process_input() {
  assert(!read_in_progress_);
  std::size_t needed_bytes = kFramePrefixBytes;
  while (!closed_) {
    if (write_backlogged()) {
      // The peer is not taking its replies: leave its further requests undecoded (and unread, in TCP's
      // buffers) until the queue drains to the low water mark.
      if (!reading_paused_) {
        spdlog::debug("remoting: {} reply bytes queued for {}; not reading from it until they drain",
                      queued_write_bytes_, peer_address_);
      }
      reading_paused_ = true;
      return;
    }
    if (read_end_ == read_begin_) break;
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

  // Keep the undecoded tail at the front. The buffer follows the bytes that have arrived, not the length a
  // frame announces: it doubles while a frame's bytes keep coming (never past that frame's end, which the
  // decoder has checked against the 16 MiB limit) and shrinks back once they are decoded.
  const std::size_t held_bytes = read_end_ - read_begin_;
  if (read_begin_ > 0 && held_bytes > 0) {
    std::memmove(read_buffer_.data(), read_buffer_.data() + read_begin_, held_bytes);
  }
  read_begin_ = 0;
  read_end_ = held_bytes;
  const std::size_t size = read_buffer_.size();
  const std::size_t snug = std::max(kInitialReadBytes, held_bytes + kMinReadSpaceBytes);
  std::size_t wanted = size;
  if (size > 2 * snug) {
    wanted = snug;
  } else if (size - held_bytes < kMinReadSpaceBytes && size < needed_bytes) {
    wanted = std::min(needed_bytes, std::max(2 * size, held_bytes + kMinReadSpaceBytes));
  }
  if (wanted != size && !resize_read_buffer(wanted, held_bytes)) return;
  start_read();
}

bool Connection::resize_read_buffer(std::size_t size_bytes, std::size_t keep_bytes) {
  const std::size_t budget_bytes = size_bytes > kInitialReadBytes ? size_bytes - kInitialReadBytes : 0;
  if (options_.read_budget && budget_bytes > read_budget_bytes_) {
    if (!options_.read_budget->try_acquire(budget_bytes - read_budget_bytes_)) {
      spdlog::warn("remoting: closing connection from {}: its partial frame of {} bytes would take the read buffers "
                   "of all connections over {} bytes (serverReadBufferTotalBytes)",
                   peer_address_, keep_bytes, options_.read_budget->cap_bytes());
      do_close("read budget exhausted");
      return false;
    }
  } else if (options_.read_budget && budget_bytes < read_budget_bytes_) {
    options_.read_budget->release(read_budget_bytes_ - budget_bytes);
  }
  if (options_.read_budget) read_budget_bytes_ = budget_bytes;
  try {
    read_buffer_.resize(size_bytes, keep_bytes);
  } catch (const std::bad_alloc&) {
    spdlog::warn("remoting: closing connection from {}: no memory for a {}-byte read buffer", peer_address_,
                 size_bytes);
    do_close("out of memory for the read buffer");
    return false;
  }
  return true;
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
  if (idle_timer_) idle_timer_->cancel();
  const std::size_t dropped_write_bytes = queued_write_bytes_;
  write_queue_.clear();
  set_queued_write_bytes(0);
  if (dropped_write_bytes >= kTrimAfterDroppingBytes) give_back_free_heap();
  if (options_.write_budget) options_.write_budget->release(write_budget_bytes_);
  write_budget_bytes_ = 0;
  if (options_.read_budget) options_.read_budget->release(read_budget_bytes_);
  read_budget_bytes_ = 0;
  read_begin_ = read_end_ = 0;
  // A read in progress still owns the buffer; its handler frees it.
  if (!read_in_progress_) read_buffer_.release();

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
