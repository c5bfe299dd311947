// libFuzzer target: the service discovery's entry decoder, one Service
// object (wire::decode_service: what the service discovery reads from a
// registration's body and a visor from GET /api/services/{addr}; lists are
// fuzzed in transport_clients.cpp). Properties: errors are values; a decoded
// entry keeps the documented bounds and re-encodes canonically:
// decode(encode(e)) == e and the encoding is a fixed point.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "messages/wire/service_discovery.hpp"
#include "messages/wire/transport/address_resolver.hpp"

namespace wire = skywire::wire;

#define FUZZ_ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      std::abort();                                                                                \
  } while (false)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  auto e = wire::decode_service(in);
  if (!e) {
    FUZZ_ASSERT(e.error() != caf::error{});
    return 0;
  }
  FUZZ_ASSERT(!e->type.empty());
  FUZZ_ASSERT(e->local_ips.size() <= wire::transport::max_local_addresses);
  if (e->geo)
    FUZZ_ASSERT(std::isfinite(e->geo->lat) && std::isfinite(e->geo->lon)
                && std::fabs(e->geo->lat) <= 1e9 && std::fabs(e->geo->lon) <= 1e9);
  if (e->info)
    FUZZ_ASSERT(std::isfinite(e->info->latency) && std::isfinite(e->info->uptime));
  auto text = wire::encode_service(*e);
  auto again = wire::decode_service(text);
  FUZZ_ASSERT(again);
  FUZZ_ASSERT(*again == *e);
  FUZZ_ASSERT(wire::encode_service(*again) == text);
  // one entry is a list of one
  auto list = wire::decode_service_list("[" + text + "]");
  FUZZ_ASSERT(list && list->size() == 1 && list->front() == *e);
  return 0;
}
