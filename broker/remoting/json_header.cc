// The JSON header codec (see json_header.h).
//
// Why not a DOM: every request and every response crosses this code, and building a tree of maps and strings
// per frame (then copying it into ExtFields) was a fifth of the broker's time under load. Decoding is a SAX
// pass (RapidJSON's Reader, iterative so that deep nesting cannot exhaust the stack, numbers delivered as
// their text so that no precision is lost) that writes straight into the command; encoding writes the text
// directly. The behaviour is the one the nlohmann-based codec had, which the tests pin: the same accepted
// inputs, the same texts for scalars, the same escaping and U+FFFD replacement of invalid UTF-8 on output.
#include "broker/remoting/json_header.h"

#include <fmt/format.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>

namespace rmq::remoting {
namespace {

// A JSON number as nlohmann classifies it: non-negative integers are unsigned, negative ones signed, anything
// with a fraction or exponent (or out of 64-bit range) a float.
struct Number {
  enum class Kind { kUnsigned, kSigned, kFloat } kind = Kind::kFloat;
  std::uint64_t u = 0;
  std::int64_t i = 0;
  std::string_view text;
};

Number classify_number(std::string_view text) {
  Number n;
  n.text = text;
  if (text.find_first_of(".eE") != std::string_view::npos) return n;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (!text.empty() && text.front() == '-') {
    const auto [ptr, ec] = std::from_chars(first, last, n.i);
    if (ec == std::errc() && ptr == last) n.kind = Number::Kind::kSigned;
  } else {
    const auto [ptr, ec] = std::from_chars(first, last, n.u);
    if (ec == std::errc() && ptr == last) n.kind = Number::Kind::kUnsigned;
  }
  return n;
}

// The text JSON.stringify / String.valueOf would give a number, as the DOM codec printed it.
std::string number_text(const Number& n) {
  switch (n.kind) {
    case Number::Kind::kUnsigned:
      return std::to_string(n.u);
    case Number::Kind::kSigned:
      return std::to_string(n.i);
    case Number::Kind::kFloat:
      break;
  }
  // Rare (no client sends fractions); nlohmann's shortest round-trip form keeps the old output exactly.
  return nlohmann::json(std::strtod(std::string(n.text).c_str(), nullptr)).dump();
}

// Surrogate code points (U+D800..U+DFFF) encoded as UTF-8 start with ED A0..ED BF. RapidJSON validates raw
// input bytes, but a lone low surrogate written as a \u escape would come through; nlohmann rejected it.
bool has_encoded_surrogate(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xED && static_cast<unsigned char>(text[i + 1]) >= 0xA0) return true;
  }
  return false;
}

enum class Field { kNone, kCode, kLanguage, kVersion, kOpaque, kFlag, kRemark, kExtFields, kOther };

Field field_of(std::string_view key) {
  if (key == "code") return Field::kCode;
  if (key == "language") return Field::kLanguage;
  if (key == "version") return Field::kVersion;
  if (key == "opaque") return Field::kOpaque;
  if (key == "flag") return Field::kFlag;
  if (key == "remark") return Field::kRemark;
  if (key == "extFields") return Field::kExtFields;
  return Field::kOther;
}

const char* field_name(Field field) {
  switch (field) {
    case Field::kCode: return "code";
    case Field::kVersion: return "version";
    case Field::kOpaque: return "opaque";
    case Field::kFlag: return "flag";
    default: return "?";
  }
}

// Receives the parser's events and fills the command. Returning false stops the parse; `error` says why.
class HeaderHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, HeaderHandler> {
 public:
  explicit HeaderHandler(RemotingCommand& out) : out_(out) {}

  std::optional<std::string> error;

  // Values.
  bool Null() {
    if (skip_depth_ > 0) return true;
    if (depth_ == 0) return not_object("null");
    // null means absent, in the header and in extFields (where it also drops an earlier value of the same
    // key: in a DOM the last one counts).
    if (depth_ == 2) {
      out_.ext_fields.erase(ext_key_);
      return value_done();
    }
    switch (field_) {  // a later null undoes an earlier value of the same field, back to the default
      case Field::kCode: out_.code = 0; break;
      case Field::kVersion: out_.version = 0; break;
      case Field::kOpaque: out_.opaque = 0; break;
      case Field::kFlag: out_.flag = 0; break;
      case Field::kLanguage: out_.language = LanguageCode::kJava; break;
      case Field::kRemark: out_.remark.reset(); break;
      case Field::kExtFields: out_.ext_fields = ExtFields(); break;
      default: break;
    }
    return value_done();
  }
  bool Bool(bool b) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 0) return not_object("boolean");
    if (depth_ == 2) return ext_value(b ? "true" : "false");
    switch (field_) {
      case Field::kCode:
      case Field::kVersion:
      case Field::kOpaque:
      case Field::kFlag:
        return fail(fmt::format("header field {} is a JSON boolean, not an integer", field_name(field_)));
      case Field::kLanguage:
        return fail("header field language is a JSON boolean, not a name");
      case Field::kRemark:
        out_.remark = b ? "true" : "false";
        return value_done();
      case Field::kExtFields:
        return fail("extFields is a JSON boolean, not an object");
      default:
        return value_done();
    }
  }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    if (skip_depth_ > 0) return true;
    if (depth_ == 0) return not_object("number");
    const Number n = classify_number(std::string_view(str, length));
    if (depth_ == 2) return ext_value(number_text(n));
    switch (field_) {
      case Field::kCode:
      case Field::kVersion:
      case Field::kOpaque:
      case Field::kFlag:
        return int_field(n);
      case Field::kLanguage:
        if (n.kind == Number::Kind::kFloat) return fail("header field language is a JSON number, not a name");
        out_.language = n.kind == Number::Kind::kUnsigned && n.u <= 0xFF
                            ? language_from_code(static_cast<std::int64_t>(n.u)).value_or(LanguageCode::kOther)
                            : LanguageCode::kOther;
        return value_done();
      case Field::kRemark:
        out_.remark = number_text(n);
        return value_done();
      case Field::kExtFields:
        return fail("extFields is a JSON number, not an object");
      default:
        return value_done();
    }
  }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    const std::string_view text(str, length);
    if (has_encoded_surrogate(text)) return fail("bad JSON header: a \\u escape encodes an unpaired surrogate");
    if (skip_depth_ > 0) return true;
    if (depth_ == 0) return not_object("string");
    if (depth_ == 2) return ext_value(std::string(text));
    switch (field_) {
      case Field::kCode:
      case Field::kVersion:
      case Field::kOpaque:
      case Field::kFlag: {
        const auto value = parse_java_long(text);
        if (!value) return fail(fmt::format("header field {} is not an integer", field_name(field_)));
        return int_value(*value);
      }
      case Field::kLanguage:
        out_.language = language_from_name(text).value_or(LanguageCode::kOther);
        return value_done();
      case Field::kRemark:
        out_.remark = std::string(text);
        return value_done();
      case Field::kExtFields:
        return fail("extFields is a JSON string, not an object");
      default:
        return value_done();
    }
  }
  // Containers.
  bool StartObject() { return start_container("object"); }
  bool StartArray() { return start_container("array"); }
  bool EndObject(rapidjson::SizeType) { return end_container(); }
  bool EndArray(rapidjson::SizeType) { return end_container(); }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    const std::string_view key(str, length);
    if (has_encoded_surrogate(key)) return fail("bad JSON header: a \\u escape encodes an unpaired surrogate");
    if (skip_depth_ > 0) return true;
    if (depth_ == 2) {
      ext_key_.assign(key);
    } else {
      field_ = field_of(key);
    }
    return true;
  }

 private:
  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
  bool not_object(const char* type) { return fail(fmt::format("JSON header is a JSON {}, not an object", type)); }
  bool value_done() { return true; }

  bool ext_value(std::string text) {
    out_.ext_fields.set(ext_key_, std::move(text));
    return true;
  }

  bool int_field(const Number& n) {
    if (n.kind == Number::Kind::kFloat) {
      return fail(fmt::format("header field {} is a JSON number, not an integer", field_name(field_)));
    }
    if (n.kind == Number::Kind::kUnsigned) {
      if (n.u > std::uint64_t{std::numeric_limits<std::int32_t>::max()}) {
        return fail(fmt::format("header field {} is out of int32 range", field_name(field_)));
      }
      return int_value(static_cast<std::int64_t>(n.u));
    }
    return int_value(n.i);
  }
  bool int_value(std::int64_t value) {
    if (value < std::numeric_limits<std::int32_t>::min() || value > std::numeric_limits<std::int32_t>::max()) {
      return fail(fmt::format("header field {} is out of int32 range", field_name(field_)));
    }
    const auto v = static_cast<std::int32_t>(value);
    switch (field_) {
      case Field::kCode: out_.code = v; break;
      case Field::kVersion: out_.version = v; break;
      case Field::kOpaque: out_.opaque = v; break;
      case Field::kFlag: out_.flag = v; break;
      default: break;
    }
    return true;
  }

  bool start_container(const char* type) {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    if (depth_ == 0) {
      if (std::strcmp(type, "object") != 0) return not_object(type);
      depth_ = 1;
      return true;
    }
    if (depth_ == 2) return fail(fmt::format("extFields value of {} is a JSON {}, not a scalar", ext_key_, type));
    switch (field_) {
      case Field::kCode:
      case Field::kVersion:
      case Field::kOpaque:
      case Field::kFlag:
        return fail(fmt::format("header field {} is a JSON {}, not an integer", field_name(field_), type));
      case Field::kLanguage:
        return fail(fmt::format("header field language is a JSON {}, not a name", type));
      case Field::kRemark:
        return fail(fmt::format("header field remark is a JSON {}, not a string", type));
      case Field::kExtFields:
        if (std::strcmp(type, "object") != 0) return fail(fmt::format("extFields is a JSON {}, not an object", type));
        out_.ext_fields = ExtFields();  // a repeated key: the last one counts, as in a DOM
        out_.ext_fields.reserve(16);
        depth_ = 2;
        return true;
      default:
        skip_depth_ = 1;  // an unknown field's container: ignored whole
        return true;
    }
  }
  bool end_container() {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    --depth_;
    return true;
  }

  RemotingCommand& out_;
  int depth_ = 0;       // 0: before the header object, 1: in it, 2: in extFields
  int skip_depth_ = 0;  // > 0: inside an ignored container
  Field field_ = Field::kNone;
  std::string ext_key_;
};

// Appends `text` as a JSON string body (without the quotes), escaping as nlohmann's dump does with
// ensure_ascii off: \" \\ \b \f \n \r \t, other control characters as \u00xx, everything else raw; invalid
// UTF-8 is replaced by U+FFFD (each maximal invalid subpart once; an unfinished sequence at the end once).
template <typename Out>
void append_escaped(std::string_view text, Out& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // Runs of plain printable ASCII are copied at once.
    std::size_t j = i;
    while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\') ++j;
    if (j > i) {
      out.insert(out.end(), p + i, p + j);
      i = j;
      if (i == n) break;
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      out.push_back('\\');
      switch (c) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '\b': out.push_back('b'); break;
        case '\f': out.push_back('f'); break;
        case '\n': out.push_back('n'); break;
        case '\r': out.push_back('r'); break;
        case '\t': out.push_back('t'); break;
        default:
          out.push_back('u');
          out.push_back('0');
          out.push_back('0');
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
      }
      ++i;
      continue;
    }
    // A multi-byte sequence: the lead byte fixes the length and the range of the second byte (Unicode 3.9,
    // table 3-7: no overlongs, no surrogates, nothing past U+10FFFF).
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    }
    if (length == 0) {  // not a lead byte: replaced, and consumed
      out.insert(out.end(), kReplacement, kReplacement + 3);
      ++i;
      continue;
    }
    std::size_t k = 1;
    for (; k < length && i + k < n; ++k) {
      const unsigned char b = p[i + k];
      if (k == 1 ? (b < low || b > high) : (b < 0x80 || b > 0xBF)) break;
    }
    if (k == length) {
      out.insert(out.end(), p + i, p + i + length);
      i += length;
    } else {
      // The bytes that fitted are replaced once; the byte that did not is read again on its own (or the
      // text ended in the middle of the sequence).
      out.insert(out.end(), kReplacement, kReplacement + 3);
      i += k;
    }
  }
}

template <typename Out>
void append_text(std::string_view text, Out& out) {
  out.insert(out.end(), text.begin(), text.end());
}

template <typename Out>
void append_int(std::int64_t value, Out& out) {
  char buffer[24];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.insert(out.end(), buffer, end);
}

template <typename Out>
void append_string(std::string_view text, Out& out) {
  out.push_back('"');
  append_escaped(text, out);
  out.push_back('"');
}

// Keys in alphabetical order, like fastjson and the DOM codec before.
template <typename Out>
void append_header(const RemotingCommand& command, Out& out) {
  append_text(R"({"code":)", out);
  append_int(command.code, out);
  append_text(R"(,"extFields":{)", out);
  bool first = true;
  for (const auto& [key, value] : command.ext_fields) {
    if (!first) out.push_back(',');
    first = false;
    append_string(key, out);
    out.push_back(':');
    append_string(value, out);
  }
  append_text(R"(},"flag":)", out);
  append_int(command.flag, out);
  append_text(R"(,"language":)", out);
  append_string(language_name(command.language), out);
  append_text(R"(,"opaque":)", out);
  append_int(command.opaque, out);
  if (command.remark) {
    append_text(R"(,"remark":)", out);
    append_string(*command.remark, out);
  }
  append_text(R"(,"serializeTypeCurrentRPC":"JSON","version":)", out);
  append_int(command.version, out);
  out.push_back('}');
}

}  // namespace

std::optional<std::string> decode_json_header(ByteSpan header, RemotingCommand& out) {
  out.code = 0;
  out.language = LanguageCode::kJava;
  out.version = 0;
  out.opaque = 0;
  out.flag = 0;
  out.remark.reset();
  out.ext_fields = ExtFields();
  // The reader's input stream reports a NUL as the end of the text; JSON never holds a raw NUL.
  if (!header.empty() && std::memchr(header.data(), 0, header.size()) != nullptr) {
    return std::string("bad JSON header: a NUL byte in the header text");
  }
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::MemoryStream stream(reinterpret_cast<const char*>(header.data()), header.size());
  rapidjson::Reader reader;
  HeaderHandler handler(out);
  const rapidjson::ParseResult result = reader.Parse<kFlags>(stream, handler);
  if (handler.error) return handler.error;
  if (result.IsError()) {
    return fmt::format("bad JSON header: {} at offset {}", rapidjson::GetParseError_En(result.Code()),
                       result.Offset());
  }
  return std::nullopt;
}

std::string encode_json_header(const RemotingCommand& command) {
  std::string out;
  out.reserve(160 + command.ext_fields.size() * 32);
  append_header(command, out);
  return out;
}

void append_json_header(const RemotingCommand& command, Bytes& out) { append_header(command, out); }

}  // namespace rmq::remoting
