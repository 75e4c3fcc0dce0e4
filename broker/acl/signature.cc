#include "broker/acl/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace rmq::acl {

std::string hmac_sha1_base64(std::string_view secret_key, std::string_view content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (HMAC(EVP_sha1(), secret_key.data(), static_cast<int>(secret_key.size()),
           reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest, &digest_len) == nullptr) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  std::string out(4 * ((digest_len + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(digest_len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string signed_content(const remoting::RemotingCommand& request) {
  std::string content;
  // ExtFields keeps its keys sorted by byte value, which is Java's TreeMap<String> order for ASCII keys.
  for (const auto& [key, value] : request.ext_fields) {
    if (key == kSignatureField || key == "_UNIQUE_KEY_QUERY" || key == kForwardedByField) continue;
    content += value;
  }
  content.append(reinterpret_cast<const char*>(request.body.data()), request.body.size());
  return content;
}

void sign_request(remoting::RemotingCommand& request, std::string_view access_key, std::string_view secret_key) {
  request.ext_fields.set(kAccessKeyField, std::string(access_key));
  request.ext_fields.erase(kSignatureField);
  request.ext_fields.set(kSignatureField, hmac_sha1_base64(secret_key, signed_content(request)));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace rmq::acl
