#include "broker/common/crc32.h"

#include <libdeflate.h>

namespace rmq::common {

// libdeflate_crc32 computes CRC-32/IEEE (the gzip/zlib CRC, java.util.zip.CRC32) with PCLMULQDQ folding where
// the CPU has it, several times zlib's table-driven speed; it takes a size_t length, so no chunking is needed.
std::uint32_t crc32(ByteSpan data) {
  return libdeflate_crc32(0, data.data(), data.size());
}

}  // namespace rmq::common
