// Helpers shared by the DLedger store tests that run on a FaultFs: small store options, and entry bodies
// that carry their own CRC so a test can give recovery a body check that sees every torn byte.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "broker/common/crc32.h"
#include "broker/store/dledger_entry_store.h"

namespace rmq::store::testing {

inline DLedgerStoreOptions small_store_options(std::int64_t data_file_bytes = 4096,
                                               std::int64_t index_file_bytes = 32 * 16) {
  DLedgerStoreOptions options;
  options.store_root = "/store";
  options.self_id = "n0";
  options.data_file_bytes = data_file_bytes;
  options.index_file_bytes = index_file_bytes;
  return options;
}

// A body of `size_bytes` (>= 4): a CRC32 of the rest, then bytes derived from `seed`.
inline common::Bytes self_checked_body(std::uint64_t seed, std::size_t size_bytes) {
  common::Bytes body(size_bytes < 4 ? 4 : size_bytes);
  std::mt19937_64 rng(seed);
  for (std::size_t i = 4; i < body.size(); ++i) body[i] = static_cast<std::uint8_t>(rng());
  common::store_u32_be(body.data(), common::crc32(common::ByteSpan(body).subspan(4)));
  return body;
}

inline DLedgerBodyCheck self_crc_body_check() {
  return [](std::int64_t, common::ByteSpan body) -> std::optional<std::string> {
    if (body.size() < 4) return "body shorter than its CRC";
    if (common::load_u32_be(body.data()) != common::crc32(body.subspan(4))) return "body CRC mismatch";
    return std::nullopt;
  };
}

}  // namespace rmq::store::testing
