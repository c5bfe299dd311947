// Fuzz the transport handshake decoders: Frame0..3, the line splitter and the
// settlement status byte. Properties: errors are values; decode -> encode ->
// decode is stable and encode is a fixed point; decoded nonces have 16 bytes;
// the line splitter never yields a line longer than its bound.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "messages/wire/transport/handshake.hpp"

using namespace skywire;
using namespace skywire::wire::transport;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

namespace {

template <class Frame, class Decode, class Encode>
void round_trip(std::string_view line, Decode decode, Encode encode) {
  auto f = decode(line);
  if (!f)
    return;
  auto text = encode(*f);
  auto again = decode(text);
  FUZZ_ASSERT(again);
  FUZZ_ASSERT(*again == *f);
  FUZZ_ASSERT(encode(*again) == text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  byte_span in{data, size};
  std::string_view text{reinterpret_cast<const char*>(data), size};
  if (!check_frame0(in))
    FUZZ_ASSERT(text == frame0_text);
  round_trip<frame1>(text, decode_frame1, encode_frame1);
  round_trip<frame2>(text, decode_frame2, encode_frame2);
  round_trip<frame3>(text, decode_frame3, encode_frame3);
  if (auto f2 = decode_frame2(text)) {
    auto signed_form = frame2_signed_bytes(*f2);
    auto g = decode_frame2(signed_form);
    FUZZ_ASSERT(g && g->sig.is_null() && g->src == f2->src && g->dst == f2->dst);
  }
  if (auto s = decode_settlement_status(in))
    FUZZ_ASSERT(size == 1 && static_cast<uint8_t>(*s) == data[0]);

  // Line splitting in two chunks: each line ends in "\n" and is bounded.
  line_splitter ls{max_handshake_frame};
  size_t cut = size ? data[0] % (size + 1) : 0;
  ls.feed(in.first(cut));
  ls.feed(in.subspan(cut));
  for (int i = 0; i < 64; ++i) {
    auto line = ls.next();
    if (!line || !*line)
      break;
    FUZZ_ASSERT(!(*line)->empty() && (*line)->back() == '\n');
    FUZZ_ASSERT((*line)->size() <= max_handshake_frame);
    round_trip<frame1>(**line, decode_frame1, encode_frame1);
  }
  return 0;
}
