#include "broker/common/crc32.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace rmq::common {

std::uint32_t crc32(ByteSpan data) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  // zlib takes a uInt length; feed large spans in chunks.
  while (left > 0) {
    const std::size_t chunk = std::min<std::size_t>(left, std::numeric_limits<uInt>::max());
    crc = ::crc32(crc, p, static_cast<uInt>(chunk));
    p += chunk;
    left -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace rmq::common
