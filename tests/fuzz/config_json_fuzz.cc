// libFuzzer target: the broker's config JSON files and the tables a follower syncs from its leader
// (broker/server): topics.json, subscriptionGroup.json and consumerOffset.json through the real managers'
// load() (broker/store/config_file.h reads them, fastjson's unquoted keys included), the delayOffset.json
// text (parse_delay_offset_body, which the follower sync and the schedule service's format share), the
// four sync bodies, fastjson parsing itself, and the per-entry decoders that heartbeat bodies are made of
// (subscription_from_json, topic_config_from_json, subscription_group_from_json). The first byte picks one.
// Checks: no crash, UB or read outside the input; bad input is an exception (callers report it: startup
// names the file, the sync logs and retries); a file that loads is persisted and reloads to the same table;
// fastjson text that parses dumps to JSON that parses to the same value.
#include <cstddef>
#include <cstdint>

#include "broker/server/broker_config.h"
#include "broker/server/consumer_offset_manager.h"
#include "broker/server/slave_sync_tables.h"
#include "broker/server/subscription_data.h"
#include "broker/server/subscription_group_manager.h"
#include "broker/server/topic_config.h"
#include "broker/server/topic_config_manager.h"
#include "broker/store/config_file.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

namespace {

template <typename Work>
bool ok(Work work) {
  try {
    work();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void topics_file(fuzz::ScratchFile& file, std::string_view text) {
  file.write(text);
  const server::BrokerConfig config;
  server::TopicConfigManager first(config, file.path().string());
  if (!ok([&] { first.load(); })) return;
  first.persist();
  server::TopicConfigManager second(config, file.path().string());
  second.load();
  FUZZ_CHECK(second.snapshot() == first.snapshot());
  FUZZ_CHECK(second.data_version() == first.data_version());
}

void groups_file(fuzz::ScratchFile& file, std::string_view text) {
  file.write(text);
  server::SubscriptionGroupManager first(false, file.path().string());
  if (!ok([&] { first.load(); })) return;
  first.persist();
  server::SubscriptionGroupManager second(false, file.path().string());
  second.load();
  FUZZ_CHECK(second.to_json_document() == first.to_json_document());
}

void offsets_file(fuzz::ScratchFile& file, std::string_view text) {
  file.write(text);
  server::ConsumerOffsetManager first(file.path().string());
  if (!ok([&] { first.load(); })) return;
  first.persist();
  server::ConsumerOffsetManager second(file.path().string());
  second.load();
  FUZZ_CHECK(second.snapshot() == first.snapshot());
}

void entity_decoders(std::string_view text) {
  nlohmann::json root;
  if (!ok([&] { root = store::parse_fastjson(text); })) return;
  // The value itself and, one level down, each member: the shapes heartbeat and table bodies nest.
  std::vector<const nlohmann::json*> values{&root};
  if (root.is_structured()) {
    for (const auto& member : root) values.push_back(&member);
  }
  for (const nlohmann::json* value : values) {
    (void)ok([&] { (void)server::subscription_from_json(*value); });
    (void)ok([&] { (void)server::topic_config_from_json(*value); });
    (void)ok([&] { (void)server::subscription_group_from_json(*value); });
    (void)ok([&] { (void)server::data_version_from_json(*value); });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string text(fuzz::as_text(data + 1, size - 1));
  switch (data[0] % 10) {
    case 0: {
      static fuzz::ScratchFile file("topics.json");
      topics_file(file, text);
      break;
    }
    case 1: {
      static fuzz::ScratchFile file("subscriptionGroup.json");
      groups_file(file, text);
      break;
    }
    case 2: {
      static fuzz::ScratchFile file("consumerOffset.json");
      offsets_file(file, text);
      break;
    }
    case 3: (void)ok([&] { (void)server::parse_delay_offset_body(text); }); break;
    case 4: (void)ok([&] { (void)server::parse_topic_table_body(text); }); break;
    case 5: (void)ok([&] { (void)server::parse_group_table_body(text); }); break;
    case 6: (void)ok([&] { (void)server::parse_offset_table_body(text); }); break;
    case 7: (void)ok([&] { (void)server::master_address_from_cluster_info(text, "broker-a"); }); break;
    case 8: {
      nlohmann::json first;
      if (!ok([&] { first = store::parse_fastjson(text); })) break;
      const std::string dumped = first.dump();
      FUZZ_CHECK(store::parse_fastjson(dumped) == first);
      break;
    }
    case 9: entity_decoders(text); break;
  }
  return 0;
}
