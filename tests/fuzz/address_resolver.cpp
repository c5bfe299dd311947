// Fuzz the address resolver's decoders: the resolve answer (VisorData), the
// /transports body and the sudph control-channel messages. Properties:
// errors are values; decode -> encode -> decode is stable and the encoding a
// fixed point; a channel message is exactly one of its three kinds.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "messages/wire/transport/address_resolver.hpp"

using namespace skywire;
using namespace skywire::wire::transport;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  if (auto v = decode_visor_data(text)) {
    auto json = encode_visor_data(*v);
    auto again = decode_visor_data(json);
    FUZZ_ASSERT(again && *again == *v && encode_visor_data(*again) == json);
  }
  if (auto t = decode_ar_transports(text, 4096)) {
    auto json = encode_ar_transports(*t);
    auto again = decode_ar_transports(json, 4096);
    FUZZ_ASSERT(again && *again == *t && encode_ar_transports(*again) == json);
  }
  if (auto m = decode_ar_channel_message(text)) {
    switch (m->k) {
    case ar_channel_message::kind::heartbeat: FUZZ_ASSERT(text == ar_heartbeat); break;
    case ar_channel_message::kind::unbind: FUZZ_ASSERT(text == ar_unbind); break;
    case ar_channel_message::kind::bind: {
      auto la = decode_local_addresses(text);
      FUZZ_ASSERT(la && *la == m->bind);
      break;
    }
    }
  }
  return 0;
}
