// Fuzzes the SOCKS5 decoders (the server's, and the client's reading of a
// method choice and a reply): every parse either needs more bytes, errors,
// or consumes no more than it was given; a parsed request or reply
// re-encodes to exactly the bytes it consumed.
#include <cstdlib>

#include "messages/wire/socks5/socks5.hpp"

using namespace skywire::wire::socks5;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in{data, size};
  if (auto g = parse_greeting(in); g && *g && (*g)->consumed > size)
    std::abort();
  if (auto c = parse_credentials(in); c && *c && (*c)->consumed > size)
    std::abort();
  if (auto m = parse_method_choice(in); m && *m && (*m)->consumed != 2)
    std::abort();
  if (auto rep = parse_reply(in); rep && *rep) {
    if ((*rep)->consumed > size)
      std::abort();
    auto again = encode_reply((*rep)->value.code, (*rep)->value.bound);
    if (again.size() != (*rep)->consumed || !std::equal(again.begin(), again.end(), data))
      std::abort();
  }
  auto r = parse_request(in);
  if (r && *r) {
    if ((*r)->consumed > size)
      std::abort();
    auto again = encode_request((*r)->value);
    if (!again || again->size() != (*r)->consumed
        || !std::equal(again->begin(), again->end(), data))
      std::abort();
  }
  return 0;
}
