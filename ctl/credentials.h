// The ACL credentials rmqctl and rmq-bench sign their requests with, for brokers that run with aclEnable=true
// (man rmq-broker(8) "ACL"): the AccessKey and Signature ext fields of upstream's plain ACL, computed by the
// broker's own signing code (broker/acl/signature.h), so the client and the verifier cannot disagree.
//
// Where they come from: rmqctl uses the accessKey/secretKey of each node's own broker.conf for the requests
// it sends to that node (the broker signs its registrations with the same pair, so an operator who can read
// the config can already act as the broker); --access-key with --secret-key-file when rmqctl has no config
// (status --namesrv). A secret is never printed, logged or put in an error message.
#pragma once

#include <filesystem>
#include <string>

#include "broker/remoting/remoting_command.h"

namespace rmq::ctl {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  bool empty() const { return access_key.empty() || secret_key.empty(); }
};

// Adds AccessKey and Signature to `request` when `credentials` are set; leaves it unchanged otherwise. Call it
// last: a field set afterwards breaks the signature.
void sign_if_set(remoting::RemotingCommand& request, const Credentials& credentials);

// The secret in `path`: its first line without surrounding white space. Throws common::ConfigError naming the
// file (never its content) when it cannot be read or the line is empty.
std::string read_secret_key_file(const std::filesystem::path& path);

}  // namespace rmq::ctl
