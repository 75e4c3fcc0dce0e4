#include "ctl/broker_query.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "broker/remoting/remoting_codes.h"
#include "broker/store/config_file.h"
#include "ctl/node_config.h"

namespace rmq::ctl {

namespace code = remoting::request_code;

std::optional<std::string> RuntimeInfo::get(const std::string& key) const {
  auto it = table.find(key);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

std::optional<std::int64_t> RuntimeInfo::get_int(const std::string& key) const {
  const auto text = get(key);
  if (!text || text->empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [ptr, err] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (err != std::errc() || ptr != text->data() + text->size()) return std::nullopt;
  return value;
}

RuntimeInfo parse_runtime_info(const std::string& body) {
  const nlohmann::json doc = store::parse_fastjson(body);
  if (!doc.is_object() || !doc.contains("table") || !doc["table"].is_object()) {
    throw std::runtime_error("runtime info body has no \"table\" object");
  }
  RuntimeInfo info;
  for (const auto& [key, value] : doc["table"].items()) {
    info.table[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return info;
}

ClusterInfo parse_cluster_info(const std::string& body) {
  const nlohmann::json doc = store::parse_fastjson(body);
  if (!doc.is_object()) throw std::runtime_error("cluster info body is not a JSON object");
  ClusterInfo info;
  if (doc.contains("brokerAddrTable") && doc["brokerAddrTable"].is_object()) {
    for (const auto& [name, data] : doc["brokerAddrTable"].items()) {
      auto& ids = info.broker_addrs[name];
      if (!data.is_object() || !data.contains("brokerAddrs") || !data["brokerAddrs"].is_object()) continue;
      for (const auto& [id_text, addr] : data["brokerAddrs"].items()) {
        std::int64_t id = 0;
        auto [ptr, err] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
        if (err != std::errc() || ptr != id_text.data() + id_text.size() || !addr.is_string()) {
          throw std::runtime_error("cluster info: broker " + name + " has a bad brokerAddrs entry " + id_text);
        }
        ids[id] = addr.get<std::string>();
      }
    }
  }
  if (doc.contains("clusterAddrTable") && doc["clusterAddrTable"].is_object()) {
    for (const auto& [cluster, names] : doc["clusterAddrTable"].items()) {
      auto& list = info.clusters[cluster];
      if (!names.is_array()) continue;
      for (const auto& n : names) {
        if (n.is_string()) list.push_back(n.get<std::string>());
      }
    }
  }
  return info;
}

void GroupQuery::set_credentials(const std::string& address, Credentials credentials) {
  credentials_[address] = std::move(credentials);
}

Answer<remoting::RemotingCommand> GroupQuery::call(const std::string& address, remoting::RemotingCommand request,
                                                   bool sign) {
  Answer<remoting::RemotingCommand> answer;
  if (sign) {
    const auto it = credentials_.find(address);
    sign_if_set(request, it != credentials_.end() ? it->second : default_credentials_);
  }
  try {
    const HostPort hp = split_host_port(address);
    auto connection = client_.connect(hp.host, hp.port, timeout_ms_);
    remoting::InvokeResult result = connection->invoke_sync(std::move(request), timeout_ms_);
    connection->close();
    if (!result.ok()) {
      answer.error = result.error;
      return answer;
    }
    if (result.response.code != remoting::response_code::kSuccess) {
      answer.error = "answered code " + std::to_string(result.response.code) + ": " + result.response.remark.value_or("");
      return answer;
    }
    answer.value = std::move(result.response);
  } catch (const std::exception& e) {
    answer.error = e.what();
  }
  return answer;
}

Answer<RuntimeInfo> GroupQuery::runtime_info(const std::string& address) {
  Answer<RuntimeInfo> answer;
  auto response = call(address, remoting::make_request(code::kGetBrokerRuntimeInfo));
  if (!response.value) {
    answer.error = response.error;
    return answer;
  }
  try {
    const auto& body = response.value->body;
    answer.value = parse_runtime_info(std::string(body.begin(), body.end()));
  } catch (const std::exception& e) {
    answer.error = e.what();
  }
  return answer;
}

Answer<ClusterInfo> GroupQuery::cluster_info(const std::string& namesrv_address) {
  Answer<ClusterInfo> answer;
  auto response = call(namesrv_address, remoting::make_request(code::kGetBrokerClusterInfo), /*sign=*/false);
  if (!response.value) {
    answer.error = response.error;
    return answer;
  }
  try {
    const auto& body = response.value->body;
    answer.value = parse_cluster_info(std::string(body.begin(), body.end()));
  } catch (const std::exception& e) {
    answer.error = e.what();
  }
  return answer;
}

Answer<std::int64_t> GroupQuery::max_offset(const std::string& address, const std::string& topic,
                                            std::int32_t queue_id) {
  Answer<std::int64_t> answer;
  remoting::RemotingCommand request = remoting::make_request(code::kGetMaxOffset);
  request.ext_fields.set("topic", topic);
  request.ext_fields.set_int("queueId", queue_id);
  auto response = call(address, std::move(request));
  if (!response.value) {
    answer.error = response.error;
    return answer;
  }
  const auto text = response.value->ext_fields.get("offset");
  std::int64_t value = 0;
  if (!text || std::from_chars(text->data(), text->data() + text->size(), value).ec != std::errc()) {
    answer.error = "GET_MAX_OFFSET answer has no numeric offset field";
    return answer;
  }
  answer.value = value;
  return answer;
}

Answer<bool> GroupQuery::transfer_leadership(const std::string& address, const std::string& target_id) {
  Answer<bool> answer;
  remoting::RemotingCommand request = remoting::make_request(code::kDLedgerTransferLeadership);
  request.ext_fields.set("targetId", target_id);
  auto response = call(address, std::move(request));
  if (!response.value) {
    answer.error = response.error;
    return answer;
  }
  answer.value = true;
  return answer;
}

bool GroupQuery::accepts(const std::string& address) {
  try {
    const HostPort hp = split_host_port(address);
    auto connection = client_.connect(hp.host, hp.port, timeout_ms_);
    connection->close();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace rmq::ctl
