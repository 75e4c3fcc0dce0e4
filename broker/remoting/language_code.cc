#include "broker/remoting/language_code.h"

#include <array>
#include <cassert>

namespace rmq::remoting {
namespace {

// Indexed by the enum's value, which is the Java ordinal and the binary header byte.
constexpr std::array<std::string_view, 14> kNames = {
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
    "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS",
};

}  // namespace

std::string_view language_name(LanguageCode language) {
  const auto index = static_cast<std::size_t>(language);
  assert(index < kNames.size());
  return kNames[index];
}

std::optional<LanguageCode> language_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<LanguageCode>(i);
  }
  return std::nullopt;
}

std::optional<LanguageCode> language_from_code(std::int64_t code) {
  if (code < 0 || code >= static_cast<std::int64_t>(kNames.size())) return std::nullopt;
  return static_cast<LanguageCode>(code);
}

}  // namespace rmq::remoting
