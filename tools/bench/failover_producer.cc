#include "tools/bench/failover_producer.h"

#include <memory>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "broker/store/message_properties.h"
#include "tools/bench/host_port.h"

namespace rmq::bench {
namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

FailoverProducer::FailoverProducer(FailoverProducerOptions options) : options_(std::move(options)) {}

FailoverProducer::~FailoverProducer() { stop(); }

void FailoverProducer::start() { thread_ = std::thread([this] { run(); }); }

void FailoverProducer::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FailoverProducer::arm(Clock::time_point since) {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_since_ = since;
  first_ok_.reset();
}

std::optional<std::pair<FailoverProducer::Clock::time_point, std::string>> FailoverProducer::wait_first_ok(
    Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return first_ok_.has_value(); });
  return first_ok_;
}

bool FailoverProducer::wait_ok_since(Clock::time_point since, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_until(lock, deadline, [&] { return last_ok_started_ >= since; });
}

std::uint64_t FailoverProducer::ok_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ok_;
}

std::map<std::string, std::uint64_t> FailoverProducer::failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_;
}

void FailoverProducer::record_ok(Clock::time_point started, Clock::time_point answered, const std::string& address) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++ok_;
    last_ok_started_ = std::max(last_ok_started_, started);
    if (!first_ok_ && started >= armed_since_) first_ok_ = std::make_pair(answered, address);
  }
  changed_.notify_all();
}

void FailoverProducer::record_failure(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++failures_[reason];
}

void FailoverProducer::run() {
  remoting::RemotingClient client;
  std::map<std::string, std::shared_ptr<remoting::Connection>> connections;
  common::Bytes body(options_.size_bytes, static_cast<std::uint8_t>('f'));
  const std::string properties =
      store::format_properties({{"TAGS", "failover"}, {std::string(store::property::kWaitStoreMsgOk), "true"}});
  std::size_t current = 0;
  std::size_t failures_in_cycle = 0;
  std::int32_t queue_id = 0;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
    }
    if (failures_in_cycle >= options_.addresses.size()) {
      failures_in_cycle = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const std::string& address = options_.addresses[current];
    auto& connection = connections[address];
    if (!connection || !connection->is_open()) {
      connection.reset();
      const auto parsed = parse_host_port(address);
      try {
        if (parsed) connection = client.connect(parsed->host, parsed->port, options_.connect_timeout_ms);
      } catch (const std::exception&) {
      }
      if (!connection) {
        record_failure("connect");
        current = (current + 1) % options_.addresses.size();
        ++failures_in_cycle;
        continue;
      }
    }
    remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kSendMessageV2);
    auto& f = request.ext_fields;
    f.set("a", "BENCH_FAILOVER_PRODUCER");
    f.set("b", options_.topic);
    f.set("c", "TBW102");
    f.set_int("d", 4);
    f.set_int("e", queue_id);
    f.set_int("f", 0);
    f.set_int("g", wall_ms());
    f.set_int("h", 0);
    f.set("i", properties);
    f.set_int("j", 0);
    f.set_bool("k", false);
    request.body = body;
    queue_id = (queue_id + 1) % 4;
    const Clock::time_point started = Clock::now();
    const remoting::InvokeResult result = connection->invoke_sync(std::move(request), options_.send_timeout_ms);
    if (result.ok() && result.response.code == remoting::response_code::kSuccess) {
      record_ok(started, Clock::now(), address);
      failures_in_cycle = 0;
      continue;
    }
    record_failure(result.ok() ? "code " + std::to_string(result.response.code)
                               : std::string(remoting::invoke_status_name(result.status)));
    if (!result.ok() && connection && !connection->is_open()) connection.reset();
    current = (current + 1) % options_.addresses.size();
    ++failures_in_cycle;
  }
  client.close();
}

}  // namespace rmq::bench
