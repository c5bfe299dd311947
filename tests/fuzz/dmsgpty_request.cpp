// Fuzzes the dmsgpty request decoders: the [u8 len][URI] prefix never
// consumes more than it was given, a parsed prefix re-encodes to exactly the
// bytes it used, and URI / proxy-query parsing only ever errors or yields a
// port in 1..65535.
#include <cstdlib>

#include "messages/wire/dmsgpty/request.hpp"

using namespace skywire::wire::dmsgpty;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in{data, size};
  auto r = parse_request(in);
  if (!r)
    return 0;
  if (*r) {
    if ((*r)->consumed > size || (*r)->uri.size() + 1 != (*r)->consumed)
      std::abort();
    auto again = encode_request((*r)->uri);
    if (!again || again->size() != (*r)->consumed
        || !std::equal(again->begin(), again->end(), data))
      std::abort();
  }
  // the whole input as URI text too (any bytes)
  std::string_view text{reinterpret_cast<const char*>(data), size};
  if (auto u = parse_uri(text)) {
    (void)endpoint_of(*u);
    if (auto t = proxy_target(*u); t && t->prt.value == 0)
      std::abort();
  }
  return 0;
}
