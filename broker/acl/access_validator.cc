#include "broker/acl/access_validator.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "broker/acl/address_pattern.h"
#include "broker/acl/permission.h"
#include "broker/acl/request_resources.h"
#include "broker/acl/signature.h"

namespace rmq::acl {
namespace {

constexpr std::size_t kMaxLoggedRefusals = 10'000;  // then the set starts over (bounded memory)

// The whole file, or nullopt when it cannot be read (being replaced, or gone).
std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

std::string need_admin_remark(std::int32_t code, const std::string& access_key) {
  return "Need admin permission for request code=" + std::to_string(code) + ", but accessKey=" + access_key +
         " is not";
}

}  // namespace

AccessValidator::AccessValidator(std::string path, std::string who) : path_(std::move(path)), who_(std::move(who)) {
  const std::optional<std::string> text = read_text(path_);
  if (!text) throw AclConfigError(path_ + ": cannot be read");
  rules_ = std::make_shared<const AclRules>(parse_acl_rules(*text, path_));
  loaded_text_ = *text;
  spdlog::info("{}: ACL enabled, {} account(s) from {}", who_, rules_->accounts.size(), path_);
}

AccessValidator::~AccessValidator() { stop_watching(); }

std::shared_ptr<const AclRules> AccessValidator::rules() const {
  std::lock_guard lock(rules_mutex_);
  return rules_;
}

bool AccessValidator::reload_if_changed() {
  // The content decides, not mtime and size: an edit that keeps the size within one tick of the file
  // system's clock leaves both unchanged (upstream's FileWatchService compares an MD5 of the content).
  const std::optional<std::string> text = read_text(path_);
  if (!text) return false;  // a file being replaced; try again on the next poll
  {
    std::lock_guard lock(rules_mutex_);
    if (*text == loaded_text_) return false;
    // Remember the text even when it is bad, so that one bad edit is reported once.
    loaded_text_ = *text;
  }
  try {
    auto fresh = std::make_shared<const AclRules>(parse_acl_rules(*text, path_));
    const std::size_t accounts = fresh->accounts.size();
    {
      std::lock_guard lock(rules_mutex_);
      rules_ = std::move(fresh);
    }
    {
      std::lock_guard lock(log_mutex_);
      logged_.clear();  // new rules: refusals are worth one line again
    }
    spdlog::info("{}: ACL reloaded, {} account(s) from {}", who_, accounts, path_);
    return true;
  } catch (const AclConfigError& e) {
    spdlog::error("{}: ACL file refused, the previous rules stay in force: {}", who_, e.what());
    return false;
  }
}

void AccessValidator::start_watching(std::int64_t poll_interval_ms) {
  if (watcher_.joinable()) return;
  watcher_ = std::thread([this, poll_interval_ms] {
    std::unique_lock lock(watch_mutex_);
    while (!stopping_) {
      watch_cv_.wait_for(lock, std::chrono::milliseconds(poll_interval_ms), [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      reload_if_changed();
      lock.lock();
    }
  });
}

void AccessValidator::stop_watching() {
  {
    std::lock_guard lock(watch_mutex_);
    stopping_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::optional<std::string> AccessValidator::check(const remoting::RemotingCommand& request,
                                                  const std::string& peer_address, bool admin_only) {
  const std::shared_ptr<const AclRules> rules = this->rules();
  const std::string address = strip_port(peer_address);
  std::optional<std::string> remark = decide(*rules, request, address, admin_only);
  if (remark) log_refusal_once(address, *remark);
  return remark;
}

std::optional<std::string> AccessValidator::decide(const AclRules& rules, const remoting::RemotingCommand& request,
                                                   const std::string& address, bool admin_only) const {
  for (const AddressPattern& pattern : rules.global_white_remote_addresses) {
    if (pattern.matches(address)) return std::nullopt;
  }
  const auto access_key = request.ext_fields.get(kAccessKeyField);
  if (!access_key) return std::string("No accessKey is configured");
  const auto account_it = rules.accounts.find(std::string(*access_key));
  if (account_it == rules.accounts.end()) return "No acl config for " + std::string(*access_key);
  const Account& account = account_it->second;
  const bool needs_admin_account = admin_only || needs_admin(request.code);
  // Upstream: an address in the account's whiteRemoteAddress needs no signature and skips every other check.
  // The name server's admin-only codes (ours) still need an admin account from such an address.
  if (account.white_remote_address.matches(address)) {
    if (admin_only && !account.admin) return need_admin_remark(request.code, account.access_key);
    return std::nullopt;
  }

  const std::string expected = request_signature(request, account.secret_key);
  const auto signature = request.ext_fields.get(kSignatureField);
  if (!signature || !constant_time_equal(expected, *signature)) {
    return "Check signature failed for accessKey=" + account.access_key;
  }
  if (needs_admin_account && !account.admin) return need_admin_remark(request.code, account.access_key);
  std::string error;
  const auto resources = request_resources(request, &error);
  if (!resources) return error;
  // An admin account without any resource rules may use everything (upstream: ownedPermMap == null).
  if (account.admin && account.topic_perms.empty() && account.group_perms.empty()) return std::nullopt;
  for (const Resource& resource : *resources) {
    const auto& perms = resource.is_group ? account.group_perms : account.topic_perms;
    const auto it = perms.find(resource.name);
    const Perm owned = it != perms.end() ? it->second
                                         : (resource.is_group ? account.default_group_perm : account.default_topic_perm);
    if (!perm_allows(resource.needed, owned)) return "No default permission for " + describe(resource);
  }
  return std::nullopt;
}

void AccessValidator::log_refusal_once(const std::string& address, const std::string& remark) {
  {
    std::lock_guard lock(log_mutex_);
    if (logged_.size() >= kMaxLoggedRefusals) logged_.clear();
    if (!logged_.insert(address + "\n" + remark).second) return;
  }
  spdlog::warn("{}: ACL refused a request from {}: {} (logged once per client and reason)", who_, address, remark);
}

}  // namespace rmq::acl
