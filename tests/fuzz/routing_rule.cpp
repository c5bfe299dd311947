// Fuzz the routing rule decoders (binary and RuleSummary JSON).
// Properties: errors are values; decode -> encode -> decode is stable; an
// accepted padded rule re-encodes to the same bytes; the JSON summary of any
// accepted rule decodes back to the same rule.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "messages/wire/routing/rule.hpp"

using namespace skywire;
using namespace skywire::wire::routing;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

namespace {

void check_rule(const rule& r) {
  auto bytes = r.encode();
  FUZZ_ASSERT(bytes.size() == consume_rule_size || bytes.size() == forward_rule_size
              || bytes.size() == intermediary_rule_size);
  auto again = rule::decode({bytes.data(), bytes.size()});
  FUZZ_ASSERT(again && *again == r);
  auto json = encode_summary_json(r);
  auto from_json = decode_summary_json(json);
  FUZZ_ASSERT(from_json && *from_json == r);
  FUZZ_ASSERT(encode_summary_json(*from_json) == json);
  (void) r.to_string();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  byte_span in{data, size};
  if (auto r = rule::decode(in)) {
    FUZZ_ASSERT(r->keep_alive.count() >= 0);
    check_rule(*r);
    auto bytes = r->encode();
    if (size == bytes.size())
      FUZZ_ASSERT(std::equal(bytes.begin(), bytes.end(), data));
  }
  std::string_view text{reinterpret_cast<const char*>(data), size};
  if (auto r = decode_summary_json(text))
    check_rule(*r);
  if (size >= route_descriptor_size)
    if (auto d = route_descriptor::decode(in.first(route_descriptor_size))) {
      auto b = d->bytes();
      FUZZ_ASSERT(std::equal(b.begin(), b.end(), data));
      FUZZ_ASSERT(d->inverted().inverted() == *d);
    }
  return 0;
}
