#include "broker/namesrv/request_processor.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string_view>

#include "broker/common/crc32.h"
#include "broker/common/io_error.h"
#include "broker/namesrv/body_error.h"
#include "broker/namesrv/register_body_codec.h"
#include "broker/namesrv/route_json.h"
#include "broker/remoting/remoting_codes.h"
#include "broker/remoting/request_dispatcher.h"

namespace rmq::namesrv {
namespace {

namespace code = remoting::request_code;
namespace rc = remoting::response_code;
using remoting::RemotingCommand;

// A header field that is missing or does not parse; answered SYSTEM_ERROR with Java's wording.
class HeaderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string required_string(const RemotingCommand& request, std::string_view key) {
  const auto value = request.ext_fields.get(key);
  if (!value) throw HeaderError("the custom field <" + std::string(key) + "> is null");
  return std::string(*value);
}

std::int64_t required_long(const RemotingCommand& request, std::string_view key) {
  const std::string text = required_string(request, key);
  const auto value = remoting::parse_java_long(text);
  if (!value) throw HeaderError("the custom field <" + std::string(key) + "> is not a number: '" + text + "'");
  return *value;
}

RemotingCommand ok(const RemotingCommand& request) { return remoting::make_response(request, rc::kSuccess); }

void set_body(RemotingCommand& response, const std::string& text) { response.body.assign(text.begin(), text.end()); }

std::string_view body_text(const RemotingCommand& request) {
  return {reinterpret_cast<const char*>(request.body.data()), request.body.size()};
}

}  // namespace

RequestProcessor::RequestProcessor(Clock clock, KvConfig kv_config)
    : routes_(std::move(clock)), kv_config_(std::move(kv_config)) {}

const std::vector<std::int32_t>& RequestProcessor::served_codes() {
  static const std::vector<std::int32_t> codes = {
      code::kPutKvConfig,       code::kGetKvConfig,           code::kDeleteKvConfig,
      code::kRegisterBroker,    code::kUnregisterBroker,      code::kGetRouteinfoByTopic,
      code::kGetBrokerClusterInfo, code::kWipeWritePermOfBroker, code::kGetAllTopicListFromNameserver,
      code::kGetKvlistByNamespace, code::kQueryDataVersion,   code::kAddWritePermOfBroker};
  return codes;
}

RemotingCommand RequestProcessor::process(const RemotingCommand& request, std::uint64_t connection_id) {
  try {
    switch (request.code) {
      case code::kPutKvConfig: return put_kv(request);
      case code::kGetKvConfig: return get_kv(request);
      case code::kDeleteKvConfig: return delete_kv(request);
      case code::kRegisterBroker: return register_broker(request, connection_id);
      case code::kUnregisterBroker: return unregister_broker(request);
      case code::kGetRouteinfoByTopic: return route_by_topic(request);
      case code::kGetBrokerClusterInfo: return cluster_info(request);
      case code::kWipeWritePermOfBroker: return write_perm(request, false);
      case code::kAddWritePermOfBroker: return write_perm(request, true);
      case code::kGetAllTopicListFromNameserver: return topic_list(request);
      case code::kGetKvlistByNamespace: return kv_list(request);
      case code::kQueryDataVersion: return query_data_version(request);
      default:
        return remoting::make_response(request, rc::kRequestCodeNotSupported,
                                       remoting::not_supported_remark(request.code));
    }
  } catch (const HeaderError& error) {
    return remoting::make_response(request, rc::kSystemError, error.what());
  } catch (const BodyError& error) {
    spdlog::warn("request code={} from connection {}: {}", request.code, connection_id, error.what());
    return remoting::make_response(request, rc::kSystemError, error.what());
  }
}

RemotingCommand RequestProcessor::register_broker(const RemotingCommand& request, std::uint64_t connection_id) {
  RegisterRequest registration;
  registration.broker_name = required_string(request, "brokerName");
  registration.broker_addr = required_string(request, "brokerAddr");
  registration.cluster_name = required_string(request, "clusterName");
  registration.ha_server_addr = required_string(request, "haServerAddr");
  registration.broker_id = required_long(request, "brokerId");
  registration.connection_id = connection_id;
  const bool compressed = request.ext_fields.get_bool("compressed").value_or(false);
  std::int32_t body_crc32 = 0;
  if (request.ext_fields.contains("bodyCrc32")) {
    const auto crc = request.ext_fields.get_int32("bodyCrc32");
    if (!crc) throw HeaderError("the custom field <bodyCrc32> is not an int");
    body_crc32 = *crc;
  }

  // 4.9.x DefaultRequestProcessor.checksum: 0 means "not computed".
  if (body_crc32 != 0) {
    const std::int32_t actual = common::masked_crc32(request.body);
    if (actual != body_crc32) {
      spdlog::warn("receive registerBroker request, crc32 not match, broker {} header {} body {}",
                   registration.broker_addr, body_crc32, actual);
      return remoting::make_response(request, rc::kSystemError, "crc32 not match");
    }
  }

  if (!request.body.empty()) {
    RegisterBrokerBody body;
    if (compressed) {
      body = decode_register_body_compressed(request.body);
    } else if (request.version >= remoting::kVersionV3_0_11) {
      body = decode_register_body_json(request.body);
    } else {
      // Brokers older than 3.0.11 send the bare TopicConfigSerializeWrapper.
      const std::string wrapped = "{\"topicConfigSerializeWrapper\":" + std::string(body_text(request)) + "}";
      body = decode_register_body_json(
          common::ByteSpan(reinterpret_cast<const std::uint8_t*>(wrapped.data()), wrapped.size()));
    }
    registration.topic_config_wrapper = std::move(body.topic_config_wrapper);
  }

  RemotingCommand response = ok(request);
  std::lock_guard lock(mutex_);
  const RegisterResult result = routes_.register_broker(registration);
  if (result.first_registration) {
    spdlog::info("new broker registered, {} HAServer: {} (cluster {}, name {}, id {})", registration.broker_addr,
                 registration.ha_server_addr, registration.cluster_name, registration.broker_name,
                 registration.broker_id);
  }
  // Java leaves null header fields out: a master, or a slave whose master is not registered, gets neither.
  if (!result.master_addr.empty()) {
    response.ext_fields.set("masterAddr", result.master_addr);
    response.ext_fields.set("haServerAddr", result.ha_server_addr);
  }
  if (const auto order = kv_config_.list(kOrderTopicConfigNamespace)) set_body(response, kv_table_json(*order));
  return response;
}

RemotingCommand RequestProcessor::unregister_broker(const RemotingCommand& request) {
  const std::string broker_name = required_string(request, "brokerName");
  const std::string broker_addr = required_string(request, "brokerAddr");
  const std::string cluster_name = required_string(request, "clusterName");
  const std::int64_t broker_id = required_long(request, "brokerId");
  std::lock_guard lock(mutex_);
  const bool removed = routes_.unregister_broker(cluster_name, broker_addr, broker_name, broker_id);
  spdlog::info("unregisterBroker {} {} id {} (cluster {}): {}", broker_name, broker_addr, broker_id, cluster_name,
               removed ? "removed" : "not registered under that id");
  return ok(request);
}

RemotingCommand RequestProcessor::route_by_topic(const RemotingCommand& request) {
  const std::string topic = required_string(request, "topic");
  std::optional<TopicRoute> route;
  {
    std::lock_guard lock(mutex_);
    route = routes_.route(topic);
  }
  if (!route) {
    return remoting::make_response(request, rc::kTopicNotExist,
                                   "No topic route info in name server for the topic: " + topic);
  }
  RemotingCommand response = ok(request);
  set_body(response, topic_route_json(*route));
  return response;
}

RemotingCommand RequestProcessor::cluster_info(const RemotingCommand& request) {
  ClusterInfo info;
  {
    std::lock_guard lock(mutex_);
    info = routes_.cluster_info();
  }
  RemotingCommand response = ok(request);
  set_body(response, cluster_info_json(info));
  return response;
}

RemotingCommand RequestProcessor::topic_list(const RemotingCommand& request) {
  std::vector<std::string> topics;
  {
    std::lock_guard lock(mutex_);
    topics = routes_.topic_names();
  }
  RemotingCommand response = ok(request);
  set_body(response, topic_list_json(topics));
  return response;
}

RemotingCommand RequestProcessor::query_data_version(const RemotingCommand& request) {
  const std::string broker_addr = required_string(request, "brokerAddr");
  required_string(request, "brokerName");
  required_string(request, "clusterName");
  required_long(request, "brokerId");
  if (request.body.empty()) throw BodyError("QUERY_DATA_VERSION: the DataVersion body is missing");
  const DataVersion version = parse_data_version(body_text(request), "QUERY_DATA_VERSION body");
  RemotingCommand response = ok(request);
  std::lock_guard lock(mutex_);
  const bool changed = routes_.data_version_changed(broker_addr, version);
  if (!changed) routes_.touch(broker_addr);
  if (const auto stored = routes_.data_version(broker_addr)) set_body(response, data_version_json(*stored));
  response.ext_fields.set_bool("changed", changed);
  return response;
}

RemotingCommand RequestProcessor::write_perm(const RemotingCommand& request, bool add) {
  const std::string broker_name = required_string(request, "brokerName");
  int count = 0;
  {
    std::lock_guard lock(mutex_);
    count = add ? routes_.add_write_perm(broker_name) : routes_.wipe_write_perm(broker_name);
  }
  spdlog::info("{} write perm of broker {}: {} topics", add ? "add" : "wipe", broker_name, count);
  RemotingCommand response = ok(request);
  response.ext_fields.set_int(add ? "addTopicCount" : "wipeTopicCount", count);
  return response;
}

RemotingCommand RequestProcessor::put_kv(const RemotingCommand& request) {
  const std::string name_space = required_string(request, "namespace");
  const std::string key = required_string(request, "key");
  const std::string value = required_string(request, "value");
  std::lock_guard lock(mutex_);
  try {
    kv_config_.put(name_space, key, value);
  } catch (const KvLimitExceeded& error) {
    spdlog::warn("putKVConfig {} {} refused: {}", name_space, key, error.what());
    return remoting::make_response(request, rc::kSystemError, error.what());
  } catch (const common::IoError& error) {
    spdlog::error("persist kv config {}: {}", kv_config_.path().string(), error.what());
  }
  spdlog::info("putKVConfig {} {} {}", name_space, key, value);
  return ok(request);
}

RemotingCommand RequestProcessor::get_kv(const RemotingCommand& request) {
  const std::string name_space = required_string(request, "namespace");
  const std::string key = required_string(request, "key");
  std::optional<std::string> value;
  {
    std::lock_guard lock(mutex_);
    value = kv_config_.get(name_space, key);
  }
  if (!value) {
    return remoting::make_response(request, rc::kQueryNotFound,
                                   "No config item, Namespace: " + name_space + " Key: " + key);
  }
  RemotingCommand response = ok(request);
  response.ext_fields.set("value", *value);
  return response;
}

RemotingCommand RequestProcessor::delete_kv(const RemotingCommand& request) {
  const std::string name_space = required_string(request, "namespace");
  const std::string key = required_string(request, "key");
  std::lock_guard lock(mutex_);
  try {
    kv_config_.remove(name_space, key);
  } catch (const common::IoError& error) {
    spdlog::error("persist kv config {}: {}", kv_config_.path().string(), error.what());
  }
  return ok(request);
}

RemotingCommand RequestProcessor::kv_list(const RemotingCommand& request) {
  const std::string name_space = required_string(request, "namespace");
  std::optional<std::map<std::string, std::string>> table;
  {
    std::lock_guard lock(mutex_);
    table = kv_config_.list(name_space);
  }
  if (!table) return remoting::make_response(request, rc::kQueryNotFound, "No config item, Namespace: " + name_space);
  RemotingCommand response = ok(request);
  set_body(response, kv_table_json(*table));
  return response;
}

std::vector<std::string> RequestProcessor::on_connection_closed(std::uint64_t connection_id) {
  std::lock_guard lock(mutex_);
  return routes_.drop_connection(connection_id);
}

std::vector<ExpiredBroker> RequestProcessor::expire(std::int64_t expire_after_ms) {
  std::lock_guard lock(mutex_);
  return routes_.expire(expire_after_ms);
}

}  // namespace rmq::namesrv
