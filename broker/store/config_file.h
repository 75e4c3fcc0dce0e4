// The broker's JSON config files (`{root}/config/*.json`, storage.md 4): how they are written and read back,
// and the fastjson dialect they are written in.
//
// Write (MixAll.string2File): the new text goes to `<file>.tmp`, the old `<file>` is copied to `<file>.bak`,
// `<file>` is deleted and `.tmp` renamed over it; we also fsync the file and the directory. A crash at any
// step leaves either the old or the new text in `<file>`, or (between delete and rename) no `<file>` but a
// `.bak` holding the previous text, which read_config_file falls back to (ConfigManager.load).
//
// fastjson writes Integer/Long map keys unquoted ({"offsetTable":{0:12,1:5}}), which strict JSON parsers
// refuse; parse_fastjson accepts them (as string keys), dump_fastjson writes them where Java does.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rmq::store {

// .tmp, copy old to .bak, delete, rename; fsync file and dir. Throws common::IoError naming the path.
// Calls for the same path are serialized within the process (they share <file>.tmp); the caller still
// takes the snapshot of its table under its own lock so that the newest text is written last.
void write_config_file(const std::string& path, std::string_view text);

// The text of `path`, else of `path.bak` when the file is missing, empty or !parses(text); nullopt when
// neither gives parseable text. Throws common::IoError naming the path when a file exists but cannot be read.
std::optional<std::string> read_config_file(const std::string& path,
                                            const std::function<bool(std::string_view)>& parses);

// The JSON object a config file holds (ConfigManager.load): the file's, else its .bak's. nullopt when neither
// exists or both are empty (a fresh broker); std::runtime_error("<path>: not valid JSON, and no usable .bak")
// when one has content but neither parses as a JSON object, so that a corrupt file is never taken for an
// empty table.
std::optional<nlohmann::json> load_config_object(const std::string& path);

// A field of a config object read as Java's fastjson binds it: absent or null gives `fallback`; a value of
// the wrong type throws std::invalid_argument("field <name> has the wrong type").
template <typename T>
T config_field(const nlohmann::json& object, const char* name, T fallback) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    throw std::invalid_argument(std::string("field ") + name + " has the wrong type");
  }
}

// JSON plus fastjson's unquoted integer object keys ({0:123,-1:5}), which become string keys ("0", "-1").
// Throws std::invalid_argument("... at offset N") on anything else that is not JSON.
nlohmann::json parse_fastjson(std::string_view text);

// fastjson's pretty format (JSON.toJSONString(obj, true)): tab-indented, keys sorted, `"key":value` without a
// space. The objects for which unquoted_keys(path of that object from the root) is true get their (integer)
// keys written without quotes, as Java does for consumerOffset.json offsetTable values and delayOffset.json
// offsetTable. Empty objects/arrays are written as {} / [].
std::string dump_fastjson(const nlohmann::json& value,
                          const std::function<bool(const std::vector<std::string>& key_path)>& unquoted_keys);

}  // namespace rmq::store
