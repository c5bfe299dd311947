// Fuzz the httpauth header parser and its JSON bodies.
// Input: up to four header values separated by '\n' (SW-Public, SW-Nonce,
// SW-Sig, SW-PublicIP), or a JSON body. Properties: errors are values;
// parse -> header list -> parse is stable; JSON decode -> encode -> decode is
// stable; the payload is body || decimal(nonce).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "messages/wire/httpauth.hpp"

using namespace skywire;
using namespace skywire::wire;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};

  httpauth_raw_headers raw;
  std::optional<std::string_view>* slots[] = {&raw.pk, &raw.nonce, &raw.sig, &raw.public_ip};
  std::string_view rest = text;
  for (auto* slot : slots) {
    if (rest.empty())
      break;
    auto nl = rest.find('\n');
    *slot = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  if (auto h = parse_httpauth_headers(raw)) {
    auto list = httpauth_header_list(*h);
    httpauth_raw_headers again;
    for (const auto& [k, v] : list) {
      if (k == httpauth_header_public)
        again.pk = v;
      else if (k == httpauth_header_nonce)
        again.nonce = v;
      else if (k == httpauth_header_sig)
        again.sig = v;
      else if (k == httpauth_header_public_ip)
        again.public_ip = v;
    }
    auto h2 = parse_httpauth_headers(again);
    FUZZ_ASSERT(h2 && *h2 == *h);
    auto payload = httpauth_payload(rest, h->nonce);
    auto digits = std::to_string(h->nonce);
    FUZZ_ASSERT(payload.size() == rest.size() + digits.size());
    FUZZ_ASSERT(std::equal(digits.begin(), digits.end(),
                           payload.begin() + static_cast<ptrdiff_t>(rest.size())));
  }

  if (auto r = decode_nonce_response(text)) {
    auto json = encode_nonce_response(*r);
    auto again = decode_nonce_response(json);
    FUZZ_ASSERT(again && *again == *r && encode_nonce_response(*again) == json);
  }
  if (auto e = decode_httpauth_error(text)) {
    auto json = encode_httpauth_error(*e);
    auto again = decode_httpauth_error(json);
    FUZZ_ASSERT(again && *again == *e && encode_httpauth_error(*again) == json);
  }
  return 0;
}
