// One io_context run by N threads: the execution model of the remoting server and client.
//
// Every socket and timer of a connection lives on that connection's strand, so one connection's work is
// serialized (its writes never interleave) while different connections run in parallel on the N threads.
// The io_context is shared-owned: connections keep it alive, because a socket must not outlive the
// io_context it is registered with even when a caller holds on to a Connection after the server stopped.
//
// join() releases the work guard and waits for the threads to finish what is queued. Owners close their
// sockets and timers first, so the threads run out of work quickly; nothing is abandoned half done. A
// handler that throws is logged and the thread goes back to work: an exception never takes the process down.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rmq::remoting {

class IoThreads {
 public:
  // Starts `thread_count` threads (at least 1); `name` appears in log lines.
  IoThreads(std::size_t thread_count, std::string name);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  const std::shared_ptr<boost::asio::io_context>& context() const { return context_; }
  // True on one of this pool's threads (where blocking waits on the pool would deadlock).
  bool in_io_thread() const;
  // Waits for the threads to drain the queue and exit. Idempotent; throws std::logic_error on an I/O thread.
  void join();

 private:
  std::shared_ptr<boost::asio::io_context> context_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::string name_;
};

}  // namespace rmq::remoting
