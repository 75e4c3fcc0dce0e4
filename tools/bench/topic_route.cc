#include "tools/bench/topic_route.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "broker/remoting/remoting_codes.h"

namespace rmq::bench {
namespace {

constexpr std::int32_t kPermWrite = 0x2;
constexpr std::int32_t kPermRead = 0x4;

std::string body_text(const remoting::RemotingCommand& response) {
  return std::string(response.body.begin(), response.body.end());
}

remoting::RemotingCommand call(remoting::Connection& connection, remoting::RemotingCommand request,
                               std::int64_t timeout_ms, const std::string& what) {
  const std::int32_t code = request.code;
  remoting::InvokeResult result = connection.invoke_sync(std::move(request), timeout_ms);
  if (!result.ok()) {
    throw BenchError(what + " (code " + std::to_string(code) + ") to " + connection.peer_address() + ": " +
                     result.error);
  }
  return std::move(result.response);
}

std::string describe_failure(const std::string& what, const remoting::RemotingCommand& response) {
  return what + " answered code " + std::to_string(response.code) +
         (response.remark ? " (" + *response.remark + ")" : std::string());
}

nlohmann::json parse_body(const remoting::RemotingCommand& response, const std::string& what) {
  try {
    return nlohmann::json::parse(quote_numeric_keys(body_text(response)));
  } catch (const nlohmann::json::exception& e) {
    throw BenchError(what + ": body is not JSON: " + e.what());
  }
}

}  // namespace

std::string quote_numeric_keys(const std::string& json_text) {
  std::string out;
  out.reserve(json_text.size() + 16);
  bool in_string = false;
  bool escaped = false;
  char last_structural = '\0';  // the last non-space character outside strings
  for (std::size_t i = 0; i < json_text.size(); ++i) {
    const char c = json_text[i];
    if (in_string) {
      out += c;
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      last_structural = c;
      continue;
    }
    const bool key_position = last_structural == '{' || last_structural == ',';
    if (key_position && (c == '-' || (c >= '0' && c <= '9'))) {
      std::size_t end = i + 1;
      while (end < json_text.size() && json_text[end] >= '0' && json_text[end] <= '9') ++end;
      std::size_t after = end;
      while (after < json_text.size() && (json_text[after] == ' ' || json_text[after] == '\t')) ++after;
      if (after < json_text.size() && json_text[after] == ':') {
        out += '"';
        out.append(json_text, i, end - i);
        out += '"';
        i = end - 1;
        last_structural = '"';
        continue;
      }
    }
    out += c;
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') last_structural = c;
  }
  return out;
}

TopicRoute lookup_route(remoting::Connection& namesrv, const std::string& topic, std::int64_t timeout_ms) {
  remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kGetRouteinfoByTopic);
  request.ext_fields.set("topic", topic);
  const std::string what = "GET_ROUTEINFO_BY_TOPIC " + topic;
  const remoting::RemotingCommand response = call(namesrv, std::move(request), timeout_ms, what);
  if (response.code != remoting::response_code::kSuccess) throw BenchError(describe_failure(what, response));
  const nlohmann::json route = parse_body(response, what);
  TopicRoute out;
  try {
    std::map<std::string, std::string> master_addr;  // brokerName -> id-0 address
    for (const auto& broker : route.at("brokerDatas")) {
      const auto& addrs = broker.at("brokerAddrs");
      if (addrs.contains("0")) master_addr[broker.at("brokerName").get<std::string>()] = addrs.at("0").get<std::string>();
    }
    for (const auto& queue : route.at("queueDatas")) {
      const std::string name = queue.at("brokerName").get<std::string>();
      const auto addr = master_addr.find(name);
      if (addr == master_addr.end()) continue;
      const auto perm = queue.at("perm").get<std::int32_t>();
      const auto reads = queue.at("readQueueNums").get<std::int32_t>();
      const auto writes = queue.at("writeQueueNums").get<std::int32_t>();
      if ((perm & kPermWrite) != 0) {
        for (std::int32_t q = 0; q < writes; ++q) out.writable.push_back({name, addr->second, q});
      }
      if ((perm & kPermRead) != 0) {
        for (std::int32_t q = 0; q < reads; ++q) out.readable.push_back({name, addr->second, q});
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw BenchError(what + ": unexpected route body: " + e.what());
  }
  return out;
}

std::vector<std::string> master_broker_addrs(remoting::Connection& namesrv, std::int64_t timeout_ms) {
  const std::string what = "GET_BROKER_CLUSTER_INFO";
  const remoting::RemotingCommand response =
      call(namesrv, remoting::make_request(remoting::request_code::kGetBrokerClusterInfo), timeout_ms, what);
  if (response.code != remoting::response_code::kSuccess) throw BenchError(describe_failure(what, response));
  const nlohmann::json info = parse_body(response, what);
  std::vector<std::string> addrs;
  try {
    for (const auto& [name, broker] : info.at("brokerAddrTable").items()) {
      const auto& broker_addrs = broker.at("brokerAddrs");
      if (broker_addrs.contains("0")) addrs.push_back(broker_addrs.at("0").get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw BenchError(what + ": unexpected body: " + e.what());
  }
  return addrs;
}

void create_topic(remoting::Connection& broker, const std::string& topic, std::int32_t queue_count,
                  std::int64_t timeout_ms, const ctl::Credentials& credentials) {
  remoting::RemotingCommand request = remoting::make_request(remoting::request_code::kUpdateAndCreateTopic);
  request.ext_fields.set("topic", topic);
  request.ext_fields.set("defaultTopic", "TBW102");
  request.ext_fields.set_int("readQueueNums", queue_count);
  request.ext_fields.set_int("writeQueueNums", queue_count);
  request.ext_fields.set_int("perm", kPermRead | kPermWrite);
  request.ext_fields.set("topicFilterType", "SINGLE_TAG");
  request.ext_fields.set_int("topicSysFlag", 0);
  request.ext_fields.set_bool("order", false);
  ctl::sign_if_set(request, credentials);
  const std::string what = "UPDATE_AND_CREATE_TOPIC " + topic + " on " + broker.peer_address();
  const remoting::RemotingCommand response = call(broker, std::move(request), timeout_ms, what);
  if (response.code != remoting::response_code::kSuccess) throw BenchError(describe_failure(what, response));
}

TopicRoute wait_for_route(remoting::Connection& namesrv, const std::string& topic, std::size_t min_writable,
                          std::int64_t wait_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  std::string last_error = "no answer yet";
  while (true) {
    try {
      TopicRoute route = lookup_route(namesrv, topic, 3000);
      if (route.writable.size() >= min_writable) return route;
      last_error = "route has " + std::to_string(route.writable.size()) + " writable queues";
    } catch (const BenchError& e) {
      last_error = e.what();
      if (!namesrv.is_open()) throw;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw BenchError("route of " + topic + " did not appear within " + std::to_string(wait_ms) +
                       " ms: " + last_error);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace rmq::bench
