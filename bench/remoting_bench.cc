// Remoting round trips on loopback: one client connection, `in flight` requests outstanding at once, an
// echo handler on the server. Prints round trips per second (items_per_second) for empty and 1 KiB bodies.
// Needs rmq_remoting linked: target_link_libraries(remoting_bench PRIVATE rmq_remoting).
#include <benchmark/benchmark.h>

#include <atomic>
#include <semaphore>

#include "broker/remoting/remoting_client.h"
#include "broker/remoting/remoting_server.h"

namespace rmq::remoting {
namespace {

constexpr std::int32_t kEchoCode = 1000;
constexpr std::ptrdiff_t kInFlight = 64;

void BM_RoundTrips(benchmark::State& state) {
  RemotingServer server(ServerOptions{"127.0.0.1", 0, 2});
  server.register_handler(kEchoCode, [](RemotingCommand request, Responder responder) {
    RemotingCommand response = make_response(request, response_code::kSuccess);
    response.body = std::move(request.body);
    responder.respond(std::move(response));
  });
  server.start();
  RemotingClient client(ClientOptions{1});
  auto connection = client.connect("127.0.0.1", server.port(), 5000);

  RemotingCommand request = make_request(kEchoCode);
  request.ext_fields.set("topic", "BenchmarkTest");
  request.ext_fields.set_int("queueId", 3);
  request.body.assign(static_cast<std::size_t>(state.range(0)), 'x');

  std::counting_semaphore<kInFlight> window(kInFlight);
  std::atomic<std::int64_t> failures{0};
  const auto done = [&](InvokeResult result) {
    if (!result.ok()) ++failures;
    window.release();
  };
  for (auto _ : state) {
    window.acquire();
    connection->invoke_async(request, 5000, done);
  }
  for (std::ptrdiff_t i = 0; i < kInFlight; ++i) window.acquire();
  state.SetItemsProcessed(state.iterations());
  state.counters["failures"] = static_cast<double>(failures.load());
  client.close();
  server.stop();
}
BENCHMARK(BM_RoundTrips)->Arg(0)->Arg(1024)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace rmq::remoting

BENCHMARK_MAIN();
