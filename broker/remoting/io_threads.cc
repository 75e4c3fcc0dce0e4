#include "broker/remoting/io_threads.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

namespace rmq::remoting {

IoThreads::IoThreads(std::size_t thread_count, std::string name)
    : context_(std::make_shared<boost::asio::io_context>(static_cast<int>(std::max<std::size_t>(thread_count, 1)))),
      name_(std::move(name)) {
  work_.emplace(context_->get_executor());
  const std::size_t count = std::max<std::size_t>(thread_count, 1);
  threads_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    threads_.emplace_back([context = context_, this_name = name_] {
      for (;;) {
        try {
          context->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("remoting: {} I/O thread caught an exception and carries on: {}", this_name, e.what());
        } catch (...) {
          spdlog::error("remoting: {} I/O thread caught a non-exception and carries on", this_name);
        }
      }
    });
  }
}

IoThreads::~IoThreads() {
  if (in_io_thread()) {
    // The last owner let go on one of our own threads; joining here would wait for ourselves.
    spdlog::error("remoting: {} I/O threads destroyed from one of them; detaching", name_);
    work_.reset();
    for (auto& thread : threads_) thread.detach();
    return;
  }
  join();
}

bool IoThreads::in_io_thread() const { return context_->get_executor().running_in_this_thread(); }

void IoThreads::join() {
  if (in_io_thread()) throw std::logic_error("remoting: " + name_ + " I/O threads cannot be joined from one of them");
  work_.reset();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

}  // namespace rmq::remoting
