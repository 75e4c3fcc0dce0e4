// libFuzzer target: the remoting frame codec (broker/remoting/frame_codec.h) on a stream of bytes.
// Checks: decoding never reads past the buffer (exact-size copy under ASan); a decoded frame's size is within
// the buffer; decode -> encode -> decode gives the same command; a frame fed one byte short says kNeedMore.
#include <cstddef>
#include <cstdint>

#include "broker/remoting/frame_codec.h"
#include "tests/fuzz/fuzz_support.h"

using namespace rmq;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const common::Bytes input = fuzz::exact_copy(fuzz::as_span(data, size));
  common::ByteSpan rest(input);
  // Decode frames back to back, as a connection's read buffer does.
  for (int frames = 0; frames < 64 && !rest.empty(); ++frames) {
    const remoting::DecodeResult first = remoting::decode_frame(rest);
    if (first.status != remoting::DecodeResult::Status::kCommand) {
      if (first.status == remoting::DecodeResult::Status::kNeedMore) FUZZ_CHECK(first.frame_bytes > rest.size());
      else FUZZ_CHECK(!first.error.empty());
      break;
    }
    FUZZ_CHECK(first.frame_bytes >= remoting::kFramePrefixBytes && first.frame_bytes <= rest.size());
    // The same frame cut one byte short is incomplete, never a different command.
    const common::Bytes short_frame(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(first.frame_bytes - 1));
    FUZZ_CHECK(remoting::decode_frame(short_frame).status == remoting::DecodeResult::Status::kNeedMore);

    common::Bytes encoded;
    try {
      encoded = remoting::encode_frame(first.command);
    } catch (const remoting::FrameTooLarge&) {
      rest = rest.subspan(first.frame_bytes);
      continue;
    }
    const remoting::DecodeResult second = remoting::decode_frame(encoded);
    FUZZ_CHECK(second.status == remoting::DecodeResult::Status::kCommand);
    FUZZ_CHECK(second.frame_bytes == encoded.size());
    FUZZ_CHECK(second.command == first.command);
    rest = rest.subspan(first.frame_bytes);
  }
  return 0;
}
