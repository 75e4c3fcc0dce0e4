// libFuzzer target: what the name server parses from clients and from disk (broker/namesrv): the
// REGISTER_BROKER body, JSON or compressed (register_body_codec.h), the QUERY_DATA_VERSION body
// (route_json.h), and the kvConfig.json file (kv_config.h). The first byte picks the parser.
// Checks: a bad body is refused with BodyError only, since the request processor turns exactly that into a
// SYSTEM_ERROR answer (anything else would escape it); a bad kvConfig.json with ConfigError only (startup
// names the file); no crash or read outside the input.
#include <cstddef>
#include <cstdint>

#include "broker/common/io_error.h"
#include "broker/common/java_properties.h"
#include "broker/namesrv/kv_config.h"
#include "broker/namesrv/register_body_codec.h"
#include "broker/namesrv/route_json.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

namespace {

template <typename Work>
void refused_only_with_body_error(Work work) {
  try {
    work();
  } catch (const namesrv::BodyError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "escaped the request processor: %s\n", e.what());
    FUZZ_CHECK(false);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const common::Bytes body = fuzz::exact_copy(fuzz::as_span(data + 1, size - 1));
  switch (data[0] % 4) {
    case 0:
      refused_only_with_body_error([&] { (void)namesrv::decode_register_body_json(body); });
      break;
    case 1:
      refused_only_with_body_error([&] { (void)namesrv::decode_register_body_compressed(body); });
      break;
    case 2:
      refused_only_with_body_error([&] {
        (void)namesrv::parse_data_version(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()),
                                          "QUERY_DATA_VERSION body");
      });
      break;
    case 3: {
      static fuzz::ScratchFile file("kvConfig.json");
      file.write(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
      namesrv::KvConfig kv(file.path());
      try {
        kv.load();
      } catch (const common::ConfigError&) {
        break;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "kvConfig.json load threw something other than ConfigError: %s\n", e.what());
        FUZZ_CHECK(false);
      }
      (void)kv.get(namesrv::kOrderTopicConfigNamespace, "TopicTest");
      (void)kv.list(namesrv::kOrderTopicConfigNamespace);
      break;
    }
  }
  return 0;
}
