#include "tools/bench/consume_command.h"

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_codes.h"
#include "broker/store/message_record.h"
#include "tools/bench/connections.h"
#include "tools/bench/host_port.h"
#include "tools/bench/latency_histogram.h"
#include "tools/bench/report.h"
#include "tools/bench/topic_route.h"

namespace rmq::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace rc = remoting::response_code;

constexpr std::int32_t kPullCommitOffset = 0x1;
constexpr std::int32_t kPullSuspend = 0x2;
constexpr std::int32_t kPullSubscription = 0x4;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Totals {
  std::mutex mutex;
  std::atomic<std::uint64_t> messages{0};
  std::atomic<bool> stop{false};
  std::uint64_t body_bytes = 0;
  std::map<std::string, std::uint64_t> errors;
  LatencyHistogram latency;
  Clock::time_point last_message;
};

struct QueuePuller {
  QueueRef queue;
  std::shared_ptr<remoting::Connection> connection;
  std::int64_t offset = 0;
};

void count_error(Totals& totals, const std::string& what) {
  std::lock_guard<std::mutex> lock(totals.mutex);
  ++totals.errors[what];
}

std::int64_t stored_offset(remoting::Connection& connection, const ConsumeOptions& options, std::int32_t queue_id) {
  remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kQueryConsumerOffset);
  request.ext_fields.set("consumerGroup", options.group);
  request.ext_fields.set("topic", options.topic);
  request.ext_fields.set_int("queueId", queue_id);
  ctl::sign_if_set(request, options.credentials);
  const remoting::InvokeResult result = connection.invoke_sync(std::move(request), 5000);
  if (!result.ok()) throw BenchError("QUERY_CONSUMER_OFFSET queue " + std::to_string(queue_id) + ": " + result.error);
  if (result.response.code != rc::kSuccess) return 0;  // 22: the group has no offset here yet
  const auto offset = result.response.ext_fields.get_int64("offset");
  return offset && *offset > 0 ? *offset : 0;
}

// Decodes a pull body (records back to back, remoting.md 2.3) into the totals. False when a record is bad.
bool account_body(const common::Bytes& body, Totals& totals, const QueuePuller& puller, std::string& problem) {
  const std::int64_t now = wall_ms();
  LatencyHistogram latency;
  std::uint64_t messages = 0;
  std::uint64_t body_bytes = 0;
  std::size_t pos = 0;
  while (pos < body.size()) {
    store::MessageRecord record;
    const store::DecodeResult decoded = store::decode_record(common::ByteSpan(body).subspan(pos), false, &record);
    if (decoded.status != store::DecodeStatus::kOk) {
      problem = "queue " + std::to_string(puller.queue.queue_id) + " offset " + std::to_string(puller.offset) +
                ": record at body byte " + std::to_string(pos) + " is " + store::to_string(decoded.status) +
                (decoded.detail.empty() ? "" : " (" + decoded.detail + ")");
      return false;
    }
    ++messages;
    body_bytes += record.body.size();
    const std::int64_t latency_ms = now - record.store_timestamp_ms;
    latency.record(static_cast<std::uint64_t>(latency_ms > 0 ? latency_ms : 0) * 1000);
    pos += static_cast<std::size_t>(decoded.size);
  }
  std::lock_guard<std::mutex> lock(totals.mutex);
  totals.body_bytes += body_bytes;
  totals.latency.merge(latency);
  totals.last_message = Clock::now();
  totals.messages += messages;
  return true;
}

void pull_loop(QueuePuller& puller, const ConsumeOptions& options, Totals& totals, std::int64_t sub_version) {
  while (!totals.stop.load()) {
    remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kPullMessage);
    auto& f = request.ext_fields;
    f.set("consumerGroup", options.group);
    f.set("topic", options.topic);
    f.set_int("queueId", puller.queue.queue_id);
    f.set_int("queueOffset", puller.offset);
    f.set_int("maxMsgNums", options.batch);
    f.set_int("sysFlag", kPullSuspend | kPullSubscription | (puller.offset > 0 ? kPullCommitOffset : 0));
    f.set_int("commitOffset", puller.offset);
    f.set_int("suspendTimeoutMillis", options.poll_ms);
    f.set("subscription", "*");
    f.set_int("subVersion", sub_version);
    f.set("expressionType", "TAG");
    ctl::sign_if_set(request, options.credentials);
    const remoting::InvokeResult result = puller.connection->invoke_sync(std::move(request), options.poll_ms + 10000);
    if (!result.ok()) {
      count_error(totals, "pull " + std::string(remoting::invoke_status_name(result.status)));
      if (!puller.connection->is_open()) return;
      continue;
    }
    const auto& response = result.response;
    const auto next = response.ext_fields.get_int64("nextBeginOffset");
    switch (response.code) {
      case rc::kSuccess: {
        std::string problem;
        if (!account_body(response.body, totals, puller, problem)) {
          count_error(totals, "bad pull body");
          std::cerr << "rmq-bench consume: " << problem << "\n";
          return;
        }
        if (!next || *next <= puller.offset) {
          count_error(totals, "pull FOUND without a larger nextBeginOffset");
          return;
        }
        puller.offset = *next;
        break;
      }
      case rc::kPullNotFound:
      case rc::kPullRetryImmediately:
      case rc::kPullOffsetMoved:
        if (next && *next >= 0) puller.offset = *next;
        break;
      default:
        count_error(totals, "pull code " + std::to_string(response.code));
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

void store_offset(const QueuePuller& puller, const ConsumeOptions& options) {
  if (!puller.connection->is_open()) return;
  remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kUpdateConsumerOffset);
  request.ext_fields.set("consumerGroup", options.group);
  request.ext_fields.set("topic", options.topic);
  request.ext_fields.set_int("queueId", puller.queue.queue_id);
  request.ext_fields.set_int("commitOffset", puller.offset);
  ctl::sign_if_set(request, options.credentials);
  (void)puller.connection->invoke_sync(std::move(request), 3000);
}

}  // namespace

int run_consume(const ConsumeOptions& options) {
  const auto namesrv_addr = parse_host_port(options.namesrv);
  if (!namesrv_addr) {
    std::cerr << "rmq-bench: bad --namesrv '" << options.namesrv << "': expected host:port\n";
    return 2;
  }
  remoting::RemotingClient client(remoting::ClientOptions{1, options.tls});
  Connections connections(client, 3000);
  Totals totals;
  std::vector<QueuePuller> pullers;
  try {
    auto namesrv = connections.get(namesrv_addr->to_string());
    const TopicRoute route = lookup_route(*namesrv, options.topic, 3000);
    if (route.readable.empty()) throw BenchError("topic " + options.topic + " has no readable queue on a master");
    for (const QueueRef& queue : route.readable) {
      QueuePuller puller{queue, connections.get(queue.broker_addr), 0};
      puller.offset = stored_offset(*puller.connection, options, queue.queue_id);
      pullers.push_back(std::move(puller));
    }
  } catch (const BenchError& e) {
    std::cerr << "rmq-bench consume: " << e.what() << "\n";
    return 1;
  }
  std::cout << "consume: topic " << options.topic << ", group " << options.group << ", " << pullers.size()
            << " queues" << std::endl;

  const Clock::time_point start = Clock::now();
  totals.last_message = start;
  const std::int64_t sub_version = wall_ms();
  std::vector<std::thread> threads;
  for (QueuePuller& puller : pullers) {
    threads.emplace_back([&puller, &options, &totals, sub_version] { pull_loop(puller, options, totals, sub_version); });
  }
  const double limit_s = options.duration_s ? *options.duration_s : options.timeout_s;
  bool timed_out = false;
  while (true) {
    if (options.count && totals.messages.load() >= *options.count) break;
    if (std::chrono::duration<double>(Clock::now() - start).count() >= limit_s) {
      timed_out = !options.duration_s;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  totals.stop = true;
  const Clock::time_point end = Clock::now();
  for (std::thread& thread : threads) thread.join();
  for (const QueuePuller& puller : pullers) store_offset(puller, options);
  client.close();

  const double seconds = std::max(1e-9, std::chrono::duration<double>(end - start).count());
  const std::uint64_t messages = totals.messages.load();
  const double msgs_per_s = static_cast<double>(messages) / seconds;
  const double mb_per_s = static_cast<double>(totals.body_bytes) / seconds / 1e6;
  std::uint64_t error_count = 0;
  for (const auto& [what, n] : totals.errors) error_count += n;
  std::cout << "received " << messages << " messages (" << totals.body_bytes << " body bytes) in "
            << format_fixed(seconds, 3) << " s" << (timed_out ? " (timed out before --count)" : "") << "\n"
            << "throughput: " << format_fixed(msgs_per_s, 0) << " msgs/s, " << format_fixed(mb_per_s, 2) << " MB/s\n"
            << "end-to-end latency (store -> receipt): " << format_percentiles(totals.latency) << "\n"
            << "errors: " << format_errors(totals.errors) << "\n"
            << "RESULT consume messages=" << messages << " errors=" << error_count
            << " seconds=" << format_fixed(seconds, 3) << " msgs_per_s=" << format_fixed(msgs_per_s, 0)
            << " mb_per_s=" << format_fixed(mb_per_s, 2) << " " << result_percentiles(totals.latency) << std::endl;
  return !timed_out && error_count == 0 ? 0 : 1;
}

}  // namespace rmq::bench
