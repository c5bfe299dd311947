// Fuzz the transport discovery entry decoders and the AR messages.
// Properties: errors are values; decode -> encode -> decode is stable and
// the encoding is a fixed point; decoded edges are sorted and distinct.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "messages/wire/transport/address_resolver.hpp"
#include "messages/wire/transport/entry.hpp"
#include "messages/wire/transport/handshake.hpp"

using namespace skywire;
using namespace skywire::wire::transport;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  if (auto e = decode_entry_json(text)) {
    FUZZ_ASSERT(e->edges[0].bytes < e->edges[1].bytes);
    auto json = encode_entry_json(*e);
    auto again = decode_entry_json(json);
    FUZZ_ASSERT(again && *again == *e && encode_entry_json(*again) == json);
    FUZZ_ASSERT(e->to_binary().size() == 16 + 66 + e->type.size());
  }
  if (auto se = decode_signed_entry_json(text)) {
    auto line = encode_settlement_message(*se);
    auto again = decode_settlement_message(line);
    FUZZ_ASSERT(again && *again == *se && encode_settlement_message(*again) == line);
  }
  if (auto list = decode_signed_entry_list(text, 64, 64 * 1024)) {
    auto body = encode_tpd_post_body(*list);
    auto again = decode_signed_entry_list(body, 64, 64 * 1024);
    FUZZ_ASSERT(again && *again == *list && encode_tpd_post_body(*again) == body);
  }
  if (auto la = decode_local_addresses(text)) {
    auto json = encode_local_addresses(*la);
    auto again = decode_local_addresses(json);
    FUZZ_ASSERT(again && *again == *la && encode_local_addresses(*again) == json);
  }
  if (auto p = decode_ar_push(text)) {
    auto json = encode_ar_push(*p);
    auto again = decode_ar_push(json);
    FUZZ_ASSERT(again && *again == *p && encode_ar_push(*again) == json);
  }
  return 0;
}
