// Java String semantics over the UTF-8 bytes RocketMQ stores.
//
// The Java broker decodes topics, tags and keys from UTF-8 into UTF-16 Strings and then measures or hashes
// those: the v2-magic switch looks at String.length() (UTF-16 code units, storage.md 1.1), the consume queue
// stores String.hashCode() of the tags (1.11) and the index stores the hash of "topic#key" (3.2). To agree with
// it bit for bit we must walk the same UTF-16 code units: a character outside the BMP counts as two (a
// surrogate pair), and a malformed UTF-8 sequence becomes one U+FFFD per maximal invalid subpart, as Java's
// UTF-8 decoder does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rmq::store {

// String.length() of the Java string these UTF-8 bytes decode to.
std::size_t java_utf16_length(std::string_view utf8);

// String.hashCode(): h = 31*h + c over UTF-16 code units, wrapping like a Java int.
std::int32_t java_string_hash(std::string_view utf8);

}  // namespace rmq::store
