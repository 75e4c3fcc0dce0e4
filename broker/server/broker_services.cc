// The processors' shared collaborators (see broker_services.h).
#include "broker/server/broker_services.h"

#include <spdlog/spdlog.h>

#include <tuple>

#include "broker/server/delay_levels.h"

namespace rmq::server {
namespace {

std::string config_file(const BrokerConfig& config, bool persist, const char* name) {
  if (!persist) return "";
  return (config.config_dir() / name).string();
}

}  // namespace

BrokerServices::BrokerServices(BrokerConfig config, store::MessageStore& store, bool persist_configs)
    : config_(std::move(config)),
      role_(BrokerRoleState::from_config(config_)),
      store_(store),
      topics_(config_, config_file(config_, persist_configs, "topics.json")),
      groups_(config_.auto_create_subscription_group, config_file(config_, persist_configs, "subscriptionGroup.json"),
              config_.auto_create_subscription_group_max_nums),
      offsets_(config_file(config_, persist_configs, "consumerOffset.json")),
      consumers_([this](const std::string& group) {
        auto g = groups_.select(group);
        return !g || g->notify_consumer_ids_changed_enable;
      }),
      send_pool_(static_cast<std::size_t>(config_.send_message_thread_pool_nums), "send"),
      pull_pool_(static_cast<std::size_t>(config_.pull_message_thread_pool_nums), "pull"),
      admin_pool_(4, "admin"),
      heartbeat_pool_(2, "heartbeat") {
  if (auto host = ipv4_host(config_.broker_ip1, config_.listen_port)) store_host_ = *host;
  topics_.set_change_listener([this] { register_async(); });
  try {
    max_delay_level_ = static_cast<std::int32_t>(parse_delay_levels(config_.message_delay_level).size());
  } catch (const std::exception&) {
    max_delay_level_ = 18;
  }
}

BrokerServices::~BrokerServices() { shutdown_pools(); }

void BrokerServices::load() {
  topics_.load();
  topics_loaded_ = true;
  groups_.load();
  groups_loaded_ = true;
  offsets_.load();
  offsets_loaded_ = true;
}

void BrokerServices::persist_all() {
  // A table whose load() failed (or never ran) holds only defaults: writing it would replace the good file
  // on disk (and push the good text to .bak, where the next write overwrites it).
  for (auto& [name, loaded, fn] : std::initializer_list<std::tuple<const char*, bool, std::function<void()>>>{
           {"topics", topics_loaded_.load(), [this] { topics_.persist(); }},
           {"subscription groups", groups_loaded_.load(), [this] { groups_.persist(); }},
           {"consumer offsets", offsets_loaded_.load(), [this] { offsets_.persist(); }}}) {
    if (!loaded) {
      spdlog::warn("broker: {} were not loaded; not written", name);
      continue;
    }
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("broker: cannot persist {}: {}", name, e.what());
    }
  }
}

void BrokerServices::set_register_hooks(std::function<void()> async, std::function<void()> sync) {
  std::lock_guard lock(hooks_mutex_);
  register_async_ = std::move(async);
  register_sync_ = std::move(sync);
}

void BrokerServices::register_async() {
  std::function<void()> hook;
  {
    std::lock_guard lock(hooks_mutex_);
    hook = register_async_;
  }
  if (hook) hook();
}

void BrokerServices::register_sync() {
  std::function<void()> hook;
  {
    std::lock_guard lock(hooks_mutex_);
    hook = register_sync_;
  }
  if (hook) hook();
}

void BrokerServices::shutdown_pools() {
  send_pool_.shutdown();
  pull_pool_.shutdown();
  admin_pool_.shutdown();
  heartbeat_pool_.shutdown();
}

}  // namespace rmq::server
