// libFuzzer target: the SkyNet forwarding opening exchange (route port 47,
// messages/wire/apps/skyfwd.hpp), both decoders on the same bytes, as each
// side reads the other's first message (hostile: from the route); every
// input goes to both. Seeds: the vectors of tests/messages/wire/skyfwd_test
// (what the Go visor writes). Properties: never
// crashes; anything longer than max_fwd_message is refused; a decoded
// request re-encodes to {"port":N} that decodes to the same port; a decoded
// refusal re-encodes and decodes to the same text, an acceptance to {}.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "messages/wire/apps/skyfwd.hpp"

namespace fwd = skywire::wire::apps;

#define FUZZ_ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      std::abort();                                                                                \
  } while (false)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  auto req = fwd::decode_fwd_request(in);
  if (size > fwd::max_fwd_message)
    FUZZ_ASSERT(!req);
  if (req) {
    auto again = fwd::decode_fwd_request(fwd::encode_fwd_request(*req));
    FUZZ_ASSERT(again && *again == *req);
  }
  auto rep = fwd::decode_fwd_reply(in);
  if (size > fwd::max_fwd_message)
    FUZZ_ASSERT(!rep);
  if (rep) {
    auto text = fwd::encode_fwd_reply(*rep);
    if (!*rep)
      FUZZ_ASSERT(text == "{}");
    auto again = fwd::decode_fwd_reply(text);
    FUZZ_ASSERT(again && *again == *rep);
  }
  return 0;
}
