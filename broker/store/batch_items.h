// The body of a client batch send (storage.md 1.9): a run of items, one per message, each laid out as
// TOTALSIZE int32, MAGICCODE int32 (0), BODYCRC int32 (0), FLAG int32, BODYLENGTH int32 + BODY,
// PROPERTIESLENGTH int16 + PROPERTIES (MessageDecoder.encodeMessage / encodeMessages).
//
// The broker expands every item into a full commitlog record sharing the batch's topic, queue and hosts.
// The body arrives from the network, so the reader bounds-checks every length against the remaining bytes
// and against the item's own TOTALSIZE, and names the item and byte offset it gave up at. The Java broker
// ignores TOTALSIZE, MAGICCODE and BODYCRC of an item; we still require TOTALSIZE to equal the size the
// fields add up to (every real client writes it so), and ignore the other two as Java does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/common/bytes.h"

namespace rmq::store {

// TOTALSIZE + MAGICCODE + BODYCRC + FLAG + BODYLENGTH + PROPERTIESLENGTH: an item with no body or properties.
inline constexpr std::size_t kBatchItemFixedSize = 4 + 4 + 4 + 4 + 4 + 2;

struct BatchItem {
  std::int32_t flag = 0;
  common::Bytes body;
  std::string properties;  // the item's own properties string (storage.md 1.5)
  bool operator==(const BatchItem&) const = default;
};

// Appends the items as a client lays them out. Throws std::invalid_argument when a body or properties
// string does not fit its length field.
void encode_batch_items(const std::vector<BatchItem>& items, common::Bytes& out);

struct BatchDecodeResult {
  bool ok = false;
  std::vector<BatchItem> items;  // every item when ok; the items before the bad one otherwise
  std::string error;             // "item 2 at offset 57: BODYLENGTH 900 runs past the 40 bytes left"
};

// Splits a batch body into items. An empty body is a valid batch of zero items.
BatchDecodeResult decode_batch_items(common::ByteSpan body);

}  // namespace rmq::store
