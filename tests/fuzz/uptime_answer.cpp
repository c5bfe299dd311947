// libFuzzer target: how the visor reads the uptime tracker's answer to its
// heartbeat (visor::uptime_client::read_answer; the body is capped at
// uptime_client::max_answer before it gets there). The first two bytes are
// the status, the rest the body: {"error":"…"} as the tracker answers,
// httpauth's {"error":{"message":…}}, or anything. Properties: 200 is
// success whatever the body; any other status is an error of the client
// category carrying that status, a code that agrees with it, and a message
// of at most 512 bytes with no control characters.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "actors/transport/client_errors.hpp"
#include "actors/visor/uptime_client.hpp"

namespace tp = skywire::transport;

#define FUZZ_ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      std::abort();                                                                                \
  } while (false)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  skywire::http::response r;
  r.status = 100 + (static_cast<unsigned>(data[0]) << 8 | data[1]) % 500; // 100..599
  r.body.assign(reinterpret_cast<const char*>(data + 2),
                std::min(size - 2, skywire::visor::uptime_client::max_answer));
  auto err = skywire::visor::uptime_client::read_answer(r);
  if (r.status == 200) {
    FUZZ_ASSERT(!err);
    return 0;
  }
  FUZZ_ASSERT(err);
  FUZZ_ASSERT(err.category() == tp::client_category());
  FUZZ_ASSERT(tp::http_status(err) == r.status);
  if (r.status == 401)
    FUZZ_ASSERT(tp::is(err, tp::client_errc::unauthorized));
  if (r.status == 404)
    FUZZ_ASSERT(tp::is(err, tp::client_errc::not_found));
  if (r.status >= 500)
    FUZZ_ASSERT(tp::is(err, tp::client_errc::server_error));
  auto msg = tp::server_message(err);
  FUZZ_ASSERT(msg.size() <= 512);
  FUZZ_ASSERT(std::none_of(msg.begin(), msg.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  }));
  FUZZ_ASSERT(msg == tp::extract_server_message(r.body));
  FUZZ_ASSERT(!describe(err).empty());
  return 0;
}
