// Decoding the REGISTER_BROKER body (remoting.md 2.5, 4.9.x RegisterBrokerBody.decode), in both forms:
//  * JSON: {"topicConfigSerializeWrapper":{"topicConfigTable":{name:TopicConfig},"dataVersion":{..}},
//           "filterServerList":[..]}
//  * compressed (header compressed=true, broker config compressedRegister): a zlib stream of
//      int32 dataVersionJsonLength, dataVersion JSON, int32 topicCount,
//      topicCount x (int32 length, "name read write perm filterType" text), int32 length, filterServerList JSON
//    with big-endian ints (Java DataOutput). The text line carries no topicSysFlag, so it is 0, as in Java.
//
// Every length is checked against what is left before it is used, and the inflated size is capped, so a
// hostile body costs at most kMaxInflatedBytes of memory and yields a BodyError naming the offset, never a
// crash.
#pragma once

#include <cstddef>

#include "broker/common/bytes.h"
#include "broker/namesrv/body_error.h"
#include "broker/namesrv/route_types.h"

namespace rmq::namesrv {

inline constexpr std::size_t kMaxInflatedBytes = 64u << 20;

RegisterBrokerBody decode_register_body_json(common::ByteSpan body);
RegisterBrokerBody decode_register_body_compressed(common::ByteSpan body);

// zlib inflate (RFC 1950 stream, as java.util.zip.DeflaterOutputStream writes); BodyError when the stream
// is damaged, truncated or inflates to more than max_bytes.
common::Bytes inflate_zlib(common::ByteSpan data, std::size_t max_bytes);

}  // namespace rmq::namesrv
