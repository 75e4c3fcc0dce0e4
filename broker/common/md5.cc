#include "broker/common/md5.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <vector>

#include "broker/common/bytes.h"
#include "broker/common/mapped_file.h"

namespace rmq::common {
namespace {
constexpr std::size_t kReadChunkBytes = 4 * 1024 * 1024;

struct FdCloser {
  int fd;
  ~FdCloser() { if (fd >= 0) ::close(fd); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
}  // namespace

std::string md5_file_hex(const std::filesystem::path& path, std::atomic<std::uint64_t>* progress_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(errno_message(path, errno));
  FdCloser closer{fd};
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: cannot initialise MD5");
  }
  std::vector<std::uint8_t> buffer(kReadChunkBytes);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(errno_message(path, errno));
    }
    if (n == 0) break;
    if (EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n)) != 1) {
      throw std::runtime_error("OpenSSL: MD5 update failed");
    }
    if (progress_bytes != nullptr) progress_bytes->fetch_add(static_cast<std::uint64_t>(n));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &digest_size) != 1) {
    throw std::runtime_error("OpenSSL: MD5 final failed");
  }
  return to_hex_lower(ByteSpan(digest, digest_size));
}

}  // namespace rmq::common
