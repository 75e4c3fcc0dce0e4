// Permission bits and the check of a needed permission against an owned one, as upstream's plain ACL defines
// them (org.apache.rocketmq.acl.common.Permission, 4.x): DENY=1, ANY=2, PUB=4, SUB=8.
//
// Why the exact bits and rules: plain_acl.yml files written for the Java broker must mean the same here.
// An unknown perm text is DENY (upstream parses it so); we additionally report it as an error at load time
// so that a typo does not silently lock a client out (see acl_rules.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rmq::acl {

using Perm = std::uint8_t;

inline constexpr Perm kDeny = 1;
inline constexpr Perm kAny = 2;
inline constexpr Perm kPub = 4;
inline constexpr Perm kSub = 8;

// "DENY", "PUB", "SUB", "PUB|SUB", "SUB|PUB" (surrounding blanks ignored); nullopt for anything else.
std::optional<Perm> parse_perm(std::string_view text);

// Upstream Permission.checkPermission: an owned DENY refuses everything; a needed ANY is met by PUB or SUB;
// otherwise the needed bits must meet the owned ones.
bool perm_allows(Perm needed, Perm owned);

// Request codes only admin accounts may send (upstream Permission.ADMIN_CODE plus ours, see the man page).
bool needs_admin(std::int32_t request_code);

}  // namespace rmq::acl
