// A fixed pool of worker threads with an unbounded FIFO queue: where the broker's processors run the work
// that must not run on an I/O thread (store reads for pulls, registration calls, admin queries).
//
// Why: remoting handlers run on the I/O threads and must not block (broker/remoting/request_dispatcher.h);
// a pull reads mapped files, which can fault pages in from disk. shutdown() runs what is queued and joins;
// tasks submitted afterwards are run on the caller's thread so that no request is silently dropped.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rmq::server {

class ThreadPool {
 public:
  ThreadPool(std::size_t threads, std::string name);
  ~ThreadPool();  // shutdown()
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void submit(std::function<void()> task);
  std::size_t queue_size() const;
  void shutdown();

 private:
  void run();

  const std::string name_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace rmq::server
