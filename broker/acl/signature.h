// The request signature of upstream's ACL (AclUtils, SessionCredentials), which ali-ons and the Java client
// compute: HmacSHA1(secretKey, values of all ext fields except `Signature` (and `_UNIQUE_KEY_QUERY`, and our
// `rmqForwardedBy`) in the
// order of their sorted keys, concatenated, followed by the body), Base64-encoded, in the `Signature` ext
// field, next to `AccessKey`.
//
// Why the comparison is constant-time: an attacker who can time the answer must not learn how many leading
// bytes of a guessed signature were right.
#pragma once

#include <string>
#include <string_view>

#include "broker/remoting/remoting_command.h"

namespace rmq::acl {

inline constexpr const char* kAccessKeyField = "AccessKey";
inline constexpr const char* kSignatureField = "Signature";
// Added by a DLedger follower that forwards a client's send to the leader (broker/server/send_forwarder.h)
// after the client signed it; left out of the signed content so that the leader can check the client's
// signature. It only marks a request as already forwarded and grants nothing.
inline constexpr const char* kForwardedByField = "rmqForwardedBy";

// Base64(HmacSHA1(secret_key, content)).
std::string hmac_sha1_base64(std::string_view secret_key, std::string_view content);
// The bytes that are signed for `request` (the ext fields as they are now, plus the body).
std::string signed_content(const remoting::RemotingCommand& request);
// Base64(HmacSHA1(secret_key, signed_content(request))), computed without assembling the content: the fields
// and the body are fed to the MAC where they lie, and the keyed HMAC state of a secret is kept per thread
// (cloned per request), so a send costs the SHA-1 of its bytes and little else (the send path's ACL cost).
std::string request_signature(const remoting::RemotingCommand& request, std::string_view secret_key);
// Adds AccessKey and Signature to `request` (for our own clients: the broker's registration, rmq-bench).
void sign_request(remoting::RemotingCommand& request, std::string_view access_key, std::string_view secret_key);
// Compares two strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace rmq::acl
