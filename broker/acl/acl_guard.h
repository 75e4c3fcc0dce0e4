// The small piece that plugs an AccessValidator into a remoting server (RemotingServer::set_request_guard):
// a refused request is answered NO_PERMISSION (16) with the validator's remark, and its handler never runs,
// so nothing is stored or changed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "broker/acl/access_validator.h"
#include "broker/remoting/request_dispatcher.h"

namespace rmq::acl {

// How a request code is treated: not checked at all, checked as upstream's broker does, or admin-only.
enum class CodePolicy { kOpen, kChecked, kAdminOnly };

// Every code kChecked: the broker.
remoting::RequestGuard make_acl_guard(std::shared_ptr<AccessValidator> validator);
// `policy` decides per code: the name server (reads open, writes admin-only).
remoting::RequestGuard make_acl_guard(std::shared_ptr<AccessValidator> validator,
                                      std::function<CodePolicy(std::int32_t code)> policy);

}  // namespace rmq::acl
