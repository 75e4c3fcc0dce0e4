#include "tools/bench/produce_command.h"

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <random>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "broker/store/message_properties.h"
#include "tools/bench/connections.h"
#include "tools/bench/host_port.h"
#include "tools/bench/latency_histogram.h"
#include "tools/bench/report.h"
#include "tools/bench/topic_route.h"

namespace rmq::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Shared between the sending loop and the response callbacks (I/O threads).
struct SendState {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t in_flight = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  bool connection_lost = false;
  std::map<std::string, std::uint64_t> errors;
  LatencyHistogram latency;
};

std::string failure_key(const remoting::InvokeResult& result) {
  if (!result.ok()) return std::string(remoting::invoke_status_name(result.status));
  return "code " + std::to_string(result.response.code);
}

void create_and_wait(Connections& connections, remoting::Connection& namesrv, const ProduceOptions& options) {
  const std::vector<std::string> brokers = master_broker_addrs(namesrv, 3000);
  if (brokers.empty()) throw BenchError("--create-topic: the name server knows no master broker");
  for (const std::string& addr : brokers) {
    create_topic(*connections.get(addr), options.topic, options.queues, 3000, options.credentials);
  }
  const std::size_t expected = brokers.size() * static_cast<std::size_t>(options.queues);
  wait_for_route(namesrv, options.topic, expected, 30000);
}

}  // namespace

int run_produce(const ProduceOptions& options) {
  const auto namesrv_addr = parse_host_port(options.namesrv);
  if (!namesrv_addr) {
    std::cerr << "rmq-bench: bad --namesrv '" << options.namesrv << "': expected host:port\n";
    return 2;
  }
  remoting::RemotingClient client(remoting::ClientOptions{1, options.tls});
  Connections connections(client, 3000);
  auto state = std::make_shared<SendState>();
  std::uint64_t sent = 0;
  Clock::time_point start;
  Clock::time_point end;
  try {
    auto namesrv = connections.get(namesrv_addr->to_string());
    if (options.create_topic) create_and_wait(connections, *namesrv, options);
    const TopicRoute route = lookup_route(*namesrv, options.topic, 3000);
    if (route.writable.empty()) throw BenchError("topic " + options.topic + " has no writable queue on a master");
    std::vector<std::shared_ptr<remoting::Connection>> queue_connections;
    for (const QueueRef& queue : route.writable) queue_connections.push_back(connections.get(queue.broker_addr));

    common::Bytes body(options.size_bytes);
    std::mt19937 random(42);
    for (auto& byte : body) byte = static_cast<std::uint8_t>('a' + random() % 26);
    const std::string properties =
        store::format_properties({{"TAGS", "bench"}, {std::string(store::property::kWaitStoreMsgOk), "true"}});

    std::cout << "produce: topic " << options.topic << ", " << route.writable.size() << " queues, body "
              << options.size_bytes << " B, " << options.inflight << " in flight" << std::endl;
    start = Clock::now();
    const auto deadline = options.duration_s
                              ? start + std::chrono::microseconds(static_cast<std::int64_t>(*options.duration_s * 1e6))
                              : Clock::time_point::max();
    std::size_t next_queue = 0;
    while (true) {
      if (options.count && sent >= *options.count) break;
      if (Clock::now() >= deadline) break;
      {
        std::unique_lock<std::mutex> lock(state->mutex);
        state->changed.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(100)),
                                  [&] { return state->in_flight < options.inflight || state->connection_lost; });
        if (state->connection_lost) break;
        if (state->in_flight >= options.inflight) continue;
        ++state->in_flight;
      }
      const QueueRef& queue = route.writable[next_queue];
      const auto& connection = queue_connections[next_queue];
      next_queue = (next_queue + 1) % route.writable.size();
      remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kSendMessageV2);
      auto& f = request.ext_fields;
      f.set("a", options.producer_group);
      f.set("b", options.topic);
      f.set("c", "TBW102");
      f.set_int("d", 4);
      f.set_int("e", queue.queue_id);
      f.set_int("f", 0);
      f.set_int("g", wall_ms());
      f.set_int("h", 0);
      f.set("i", properties);
      f.set_int("j", 0);
      f.set_bool("k", false);
      request.body = body;
      ctl::sign_if_set(request, options.credentials);
      ++sent;
      const Clock::time_point sent_at = Clock::now();
      connection->invoke_async(std::move(request), options.send_timeout_ms,
                               [state, sent_at](remoting::InvokeResult result) {
                                 const auto elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                                             Clock::now() - sent_at)
                                                             .count();
                                 std::lock_guard<std::mutex> lock(state->mutex);
                                 --state->in_flight;
                                 if (result.ok() && result.response.code == remoting::response_code::kSuccess) {
                                   ++state->ok;
                                   state->latency.record(static_cast<std::uint64_t>(elapsed_us));
                                 } else {
                                   ++state->failed;
                                   ++state->errors[failure_key(result)];
                                   if (result.status == remoting::InvokeStatus::kConnectionClosed) {
                                     state->connection_lost = true;
                                   }
                                 }
                                 state->changed.notify_all();
                               });
    }
    std::unique_lock<std::mutex> lock(state->mutex);
    state->changed.wait(lock, [&] { return state->in_flight == 0; });
    end = Clock::now();
  } catch (const BenchError& e) {
    std::cerr << "rmq-bench produce: " << e.what() << "\n";
    return 1;
  }
  client.close();

  const double seconds = std::max(1e-9, std::chrono::duration<double>(end - start).count());
  const double msgs_per_s = static_cast<double>(state->ok) / seconds;
  const double mb_per_s = msgs_per_s * static_cast<double>(options.size_bytes) / 1e6;
  std::cout << "sent " << sent << ", ok " << state->ok << ", failed " << state->failed << " in "
            << format_fixed(seconds, 3) << " s\n"
            << "throughput: " << format_fixed(msgs_per_s, 0) << " msgs/s, " << format_fixed(mb_per_s, 2)
            << " MB/s\n"
            << "latency: " << format_percentiles(state->latency) << "\n"
            << "errors: " << format_errors(state->errors) << "\n"
            << "RESULT produce sent=" << sent << " ok=" << state->ok << " failed=" << state->failed
            << " seconds=" << format_fixed(seconds, 3) << " msgs_per_s=" << format_fixed(msgs_per_s, 0)
            << " mb_per_s=" << format_fixed(mb_per_s, 2) << " " << result_percentiles(state->latency) << std::endl;
  return state->failed == 0 && state->ok == sent ? 0 : 1;
}

}  // namespace rmq::bench
