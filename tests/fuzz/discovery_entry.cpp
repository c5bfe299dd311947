// libFuzzer target: the dmsg discovery Entry decoders (entry, entry list, key
// list). Properties: decoding never crashes and reports errors as values; any
// decoded entry re-encodes canonically: decode(encode(e)) == e and encoding is
// a fixed point; the signing form equals the full form minus the signature.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "messages/wire/dmsg/discovery_entry.hpp"

namespace dm = skywire::wire::dmsg;

#define FUZZ_ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      std::abort();                                                                                \
  } while (false)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  dm::decode_limits lim;
  lim.max_bytes = 16 * 1024;
  lim.max_delegated_servers = 64;
  dm::decode_limits wide; // re-encoded text may be longer (escapes), never deeper
  wide.max_bytes = 1 << 24;
  wide.max_delegated_servers = 64;
  wide.max_entries = 1 << 20;

  if (auto e = dm::decode(in, lim)) {
    auto text = dm::encode(*e);
    auto again = dm::decode(text, wide);
    FUZZ_ASSERT(again);
    FUZZ_ASSERT(*again == *e);
    FUZZ_ASSERT(dm::encode(*again) == text);
    auto unsigned_e = *e;
    unsigned_e.sig.reset();
    FUZZ_ASSERT(dm::encode_for_signing(*e) == dm::encode(unsigned_e));
    FUZZ_ASSERT(e->static_pk.is_null() || e->static_pk.bytes[0] == 2 || e->static_pk.bytes[0] == 3);
    if (e->client && e->client->delegated_servers)
      FUZZ_ASSERT(e->client->delegated_servers->size() <= lim.max_delegated_servers);
  } else {
    FUZZ_ASSERT(e.error() != caf::error{});
  }

  lim.max_entries = 16;
  if (auto list = dm::decode_list(in, lim)) {
    FUZZ_ASSERT(list->size() <= 16);
    auto text = dm::encode_list(*list);
    auto again = dm::decode_list(text, wide);
    FUZZ_ASSERT(again);
    FUZZ_ASSERT(*again == *list);
  }
  if (auto keys = dm::decode_key_list(in, lim)) {
    auto text = dm::encode_key_list(*keys);
    auto again = dm::decode_key_list(text, wide);
    FUZZ_ASSERT(again);
    FUZZ_ASSERT(*again == *keys);
  }
  return 0;
}
