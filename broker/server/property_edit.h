// Editing a message's properties the way Java's MessageAccessor.putProperty / clearProperty do on the
// HashMap behind MessageExt: a key appears at most once, a put replaces, a clear removes. Works on the
// parsed pair list of broker/store/message_properties.h. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "broker/store/message_properties.h"

namespace rmq::server {

// Parses `text` keeping one pair per key (the last value, as Java's map does), in first-seen order.
store::PropertyList parse_unique_properties(std::string_view text);
// O(n) per call: for one or two keys. Use put_properties for many.
void put_property(store::PropertyList& properties, std::string_view key, std::string value);
// put_property for every pair of `overrides`, in one linear pass.
void put_properties(store::PropertyList& properties, const store::PropertyList& overrides);
void clear_property(store::PropertyList& properties, std::string_view key);
std::optional<std::string> get_property(const store::PropertyList& properties, std::string_view key);

}  // namespace rmq::server
