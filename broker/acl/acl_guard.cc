#include "broker/acl/acl_guard.h"

#include <string>

#include "broker/remoting/connection.h"
#include "broker/remoting/remoting_codes.h"

namespace rmq::acl {

remoting::RequestGuard make_acl_guard(std::shared_ptr<AccessValidator> validator) {
  return make_acl_guard(std::move(validator), [](std::int32_t) { return CodePolicy::kChecked; });
}

remoting::RequestGuard make_acl_guard(std::shared_ptr<AccessValidator> validator,
                                      std::function<CodePolicy(std::int32_t code)> policy) {
  return [validator = std::move(validator), policy = std::move(policy)](const remoting::RemotingCommand& request,
                                                                      const remoting::Responder& responder) {
    const CodePolicy p = policy(request.code);
    if (p == CodePolicy::kOpen) return true;
    const auto connection = responder.connection();
    if (!connection) return false;  // nobody to answer, nothing to do
    const auto remark = validator->check(request, connection->peer_address(), p == CodePolicy::kAdminOnly);
    if (!remark) return true;
    responder.respond(remoting::response_code::kNoPermission, *remark);
    return false;
  };
}

}  // namespace rmq::acl
