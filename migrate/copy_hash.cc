#include "migrate/copy_hash.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <vector>

#include "broker/common/bytes.h"
#include "broker/common/mapped_file.h"
#include "migrate/copy_extents.h"

namespace rmq::migrate {

namespace {

constexpr std::size_t kChunkBytes = 4 * 1024 * 1024;

struct CtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

}  // namespace

std::string md5_file_hex_sparse(const std::filesystem::path& path, std::atomic<std::uint64_t>* progress_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw common::IoError(common::errno_message(path, errno));
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw common::IoError(common::errno_message(path, errno));
  if (st.st_size < 0) throw common::IoError(path.string() + ": negative size");
  const auto size = static_cast<std::uint64_t>(st.st_size);

  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: cannot initialise MD5");
  }
  auto update = [&](const std::uint8_t* data, std::size_t n) {
    if (EVP_DigestUpdate(ctx.get(), data, n) != 1) throw std::runtime_error("OpenSSL: MD5 update failed");
    if (progress_bytes != nullptr) progress_bytes->fetch_add(n);
  };
  std::vector<std::uint8_t> zeros;
  auto hash_zeros = [&](std::uint64_t n) {
    if (zeros.empty() && n > 0) zeros.assign(kChunkBytes, 0);
    while (n > 0) {
      const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n, zeros.size()));
      update(zeros.data(), chunk);
      n -= chunk;
    }
  };
  const auto extents = data_extents(fd, size, path);
  std::uint64_t pos = 0;
  if (!extents.empty()) {
    // The extents are hashed straight from the page cache through a read-only map, without copying them
    // into a buffer first (the source is stopped and the copies are ours, so neither shrinks under the map).
    const common::MappedFile mapped(path);
    if (mapped.size_bytes() != size) {
      throw common::IoError(path.string() + ": the file changed length while it was hashed");
    }
    for (const auto& [begin, end] : extents) {
      hash_zeros(begin - pos);
      for (pos = begin; pos < end;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(end - pos, kChunkBytes));
        update(mapped.bytes().data() + pos, n);
        pos += n;
      }
    }
  }
  hash_zeros(size - pos);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &digest_size) != 1) throw std::runtime_error("OpenSSL: MD5 final failed");
  return common::to_hex_lower(common::ByteSpan(digest, digest_size));
}

}  // namespace rmq::migrate
