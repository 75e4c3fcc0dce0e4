#include "broker/acl/signature.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <memory>
#include <stdexcept>
#include <unordered_map>

namespace rmq::acl {
namespace {

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// HMAC-SHA1 keyed with `secret_key`, ready for updates: a clone of this thread's keyed state for that secret
// (made once per thread and secret: fetching the algorithms and hashing the key pads is most of the cost of a
// one-shot HMAC over a small message).
MacCtx keyed_hmac_sha1(std::string_view secret_key) {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw std::runtime_error("HMAC is not available from OpenSSL");
  // Bounded: a few accounts' secrets per thread; cleared when rules with many secrets came and went.
  thread_local std::unordered_map<std::string, MacCtx> keyed;
  auto it = keyed.find(std::string(secret_key));
  if (it == keyed.end()) {
    if (keyed.size() >= 64) keyed.clear();
    MacCtx ctx(EVP_MAC_CTX_new(mac));
    char digest[] = "SHA1";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (!ctx || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret_key.data()), secret_key.size(),
                             params) != 1) {
      throw std::runtime_error("HMAC-SHA1 init failed");
    }
    it = keyed.emplace(std::string(secret_key), std::move(ctx)).first;
  }
  MacCtx copy(EVP_MAC_CTX_dup(it->second.get()));
  if (!copy) throw std::runtime_error("HMAC-SHA1 copy failed");
  return copy;
}

std::string base64(const unsigned char* bytes, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

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

std::string request_signature(const remoting::RemotingCommand& request, std::string_view secret_key) {
  MacCtx ctx = keyed_hmac_sha1(secret_key);
  const auto update = [&](const void* data, std::size_t size) {
    if (size != 0 && EVP_MAC_update(ctx.get(), static_cast<const unsigned char*>(data), size) != 1) {
      throw std::runtime_error("HMAC-SHA1 update failed");
    }
  };
  // The same bytes as signed_content(), in the same order.
  for (const auto& [key, value] : request.ext_fields) {
    if (key == kSignatureField || key == "_UNIQUE_KEY_QUERY" || key == kForwardedByField) continue;
    update(value.data(), value.size());
  }
  update(request.body.data(), request.body.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t digest_len = 0;
  if (EVP_MAC_final(ctx.get(), digest, &digest_len, sizeof digest) != 1) throw std::runtime_error("HMAC-SHA1 failed");
  return base64(digest, digest_len);
}

void sign_request(remoting::RemotingCommand& request, std::string_view access_key, std::string_view secret_key) {
  request.ext_fields.set(kAccessKeyField, std::string(access_key));
  request.ext_fields.erase(kSignatureField);
  request.ext_fields.set(kSignatureField, request_signature(request, secret_key));
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
