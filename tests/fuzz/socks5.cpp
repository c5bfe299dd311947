// Fuzzes the SOCKS5 decoders (the server's, and the client's reading of a
// method choice and a reply): every parse either needs more bytes, errors,
// or consumes no more than it was given; a parsed request or reply
// re-encodes to exactly the bytes it consumed. A request's target given as
// a name goes through numeric() as the server does: an address it makes
// prints back as the literal the name was (the same address).
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
    const auto& dst = (*r)->value.dst;
    auto num = numeric(dst);
    if (dst.type != target::kind::domain && num.host_string() != dst.host_string())
      std::abort(); // an address target is left as it is
    if (dst.type == target::kind::domain && num.type != target::kind::domain) {
      // the address parses back from its own text to the same bytes
      target again_name;
      again_name.type = target::kind::domain;
      again_name.domain = num.host_string();
      auto twice = numeric(again_name);
      if (twice.type != num.type || twice.ip != num.ip || num.port != dst.port)
        std::abort();
    }
  }
  return 0;
}
