// libFuzzer target: the route group's extension encodings
// (messages/wire/routing/group_frame.hpp) from a hostile peer: the
// HandshakePacket byte and the inner frame inside a route-level Noise frame.
// Byte 0 selects the mode (bit 0: reliable) and the cell padding; the rest is
// the decrypted plaintext a peer chose.
// Properties: errors are values; a decoded frame's body lies inside the input;
// re-encoding it gives back the input's header and body (padding aside);
// re-encoding with the padding gives the same length; every handshake byte
// decodes to an offer that encodes back with the same meaning.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "messages/wire/routing/group_frame.hpp"

using namespace skywire;
using namespace skywire::wire::routing;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  bool reliable = data[0] & 1;
  byte_span in{data + 1, size - 1};

  auto o = decode_handshake_byte(data[0]);
  FUZZ_ASSERT(static_cast<bool>(o) == ((data[0] & 1) != 0));
  if (o) {
    auto again = decode_handshake_byte(encode_handshake_byte(*o));
    FUZZ_ASSERT(again && *again == *o);
    auto a = agree(*o, *o);
    FUZZ_ASSERT(a == *o);
  }

  auto f = decode_inner(in, reliable);
  if (!f)
    return 0;
  if (f->kind == inner_kind::data) {
    FUZZ_ASSERT(f->payload.data() >= in.data());
    FUZZ_ASSERT(f->payload.data() + f->payload.size() <= in.data() + in.size());
  }
  std::vector<uint8_t> out;
  FUZZ_ASSERT(!encode_inner(out, *f, reliable));
  FUZZ_ASSERT(out.size() == inner_size(*f, reliable));
  FUZZ_ASSERT(out.size() <= in.size());
  if (f->kind != inner_kind::pong) // a pong's second word is written as zero
    FUZZ_ASSERT(std::equal(out.begin(), out.end(), in.begin()));
  std::vector<uint8_t> padded;
  FUZZ_ASSERT(!encode_inner(padded, *f, reliable, in.size()));
  FUZZ_ASSERT(padded.size() == in.size());
  auto back = decode_inner({padded.data(), padded.size()}, reliable);
  FUZZ_ASSERT(back && back->kind == f->kind && back->seq == f->seq && back->ack == f->ack
              && back->sack == f->sack && back->timestamp_ms == f->timestamp_ms);
  return 0;
}
