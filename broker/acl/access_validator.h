// The ACL decision for one request: allowed, or refused with upstream's remark (answered as NO_PERMISSION,
// code 16), and the rules behind it, reloaded from plain_acl.yml when the file changes.
//
// Order of checks (upstream PlainPermissionManager.validate): a client address in globalWhiteRemoteAddresses
// passes; a request without AccessKey is refused; an unknown AccessKey is refused; an address in the
// account's whiteRemoteAddress passes (with `admin_only`, only when the account is admin); the signature
// must match (compared in constant time); an admin code needs an admin account; every resource the request
// names needs the permission (permission.h), from topicPerms/groupPerms, else the account's default.
//
// Reload: a watcher thread reads the file every `poll_interval_ms` and compares it with the text last read
// (mtime and size can stay the same across a quick edit). A changed file that parses replaces the rules
// atomically for the next request; one that does not parse is logged with its line and the old rules stay
// in force. A crash loses nothing: the file is the only state.
// Refusals are logged once per client address and remark (never with the secret or the signature).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>

#include "broker/acl/acl_rules.h"
#include "broker/remoting/remoting_command.h"

namespace rmq::acl {

class AccessValidator {
 public:
  // Loads `path` now; throws AclConfigError when it is missing or bad (the process refuses to start).
  // `who` names the process in log lines ("broker", "namesrv").
  AccessValidator(std::string path, std::string who);
  ~AccessValidator();  // stops the watcher
  AccessValidator(const AccessValidator&) = delete;
  AccessValidator& operator=(const AccessValidator&) = delete;

  // nullopt when `request` from `peer_address` ("ip:port") may proceed, else the remark to answer with.
  // `admin_only` makes every request need an admin account (the name server's write codes).
  std::optional<std::string> check(const remoting::RemotingCommand& request, const std::string& peer_address,
                                   bool admin_only = false);

  // Reloads when the file's content changed; true when new rules were installed.
  bool reload_if_changed();
  void start_watching(std::int64_t poll_interval_ms);
  void stop_watching();

  std::shared_ptr<const AclRules> rules() const;
  const std::string& path() const { return path_; }

 private:
  std::optional<std::string> decide(const AclRules& rules, const remoting::RemotingCommand& request,
                                    const std::string& address, bool admin_only) const;
  void log_refusal_once(const std::string& address, const std::string& remark);

  std::string path_;
  std::string who_;
  mutable std::mutex rules_mutex_;
  std::shared_ptr<const AclRules> rules_;
  std::string loaded_text_;  // the file's content when it was last read (guarded by rules_mutex_)

  std::mutex log_mutex_;
  std::unordered_set<std::string> logged_;

  std::mutex watch_mutex_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace rmq::acl
