#include "broker/acl/permission.h"

#include <string>

namespace rmq::acl {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Perm> parse_perm(std::string_view text) {
  const std::string_view t = trim(text);
  if (t == "DENY") return kDeny;
  if (t == "PUB") return kPub;
  if (t == "SUB") return kSub;
  if (t == "PUB|SUB" || t == "SUB|PUB") return static_cast<Perm>(kPub | kSub);
  return std::nullopt;
}

bool perm_allows(Perm needed, Perm owned) {
  if ((owned & kDeny) != 0) return false;
  if ((needed & kAny) != 0) return (owned & (kPub | kSub)) != 0;
  return (needed & owned) != 0;
}

bool needs_admin(std::int32_t request_code) {
  switch (request_code) {
    case 17:   // UPDATE_AND_CREATE_TOPIC
    case 25:   // UPDATE_BROKER_CONFIG
    case 215:  // DELETE_TOPIC_IN_BROKER
    case 200:  // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
    case 207:  // DELETE_SUBSCRIPTIONGROUP
    case 50:   // UPDATE_AND_CREATE_ACL_CONFIG (upstream 4.5+)
    case 51:   // DELETE_ACL_CONFIG
    case 53:   // UPDATE_GLOBAL_WHITE_ADDRS_CONFIG
    case 52200:  // DLEDGER_TRANSFER_LEADERSHIP (ours: rmqctl stop hands leadership over)
      return true;
    default:
      return false;
  }
}

}  // namespace rmq::acl
