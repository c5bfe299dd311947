// Fuzz the decoders of the visor's transport-service clients: TPD entry
// lists, the AR's VisorData and /transports answers, /health, the service
// discovery's Service lists (public autoconnect; also what the service
// discovery reads: geo and info included) and the transport log CSV.
// Properties: errors are values; decode -> encode -> decode is stable and
// the encoding a fixed point.

#include "messages/wire/health.hpp"
#include "messages/wire/service_discovery.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "messages/wire/transport/entry.hpp"
#include "messages/wire/transport/log_csv.hpp"

using namespace skywire;
using namespace skywire::wire::transport;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  if (auto list = decode_entry_list(text, 64, 64 * 1024)) {
    for (const auto& e : *list) {
      auto again = decode_entry_json(encode_entry_json(e));
      FUZZ_ASSERT(again && *again == e);
    }
  }
  if (auto vd = decode_visor_data(text)) {
    auto json = encode_visor_data(*vd);
    auto again = decode_visor_data(json);
    FUZZ_ASSERT(again && *again == *vd && encode_visor_data(*again) == json);
  }
  if (auto t = decode_ar_transports(text, 4096)) {
    auto json = encode_ar_transports(*t);
    auto again = decode_ar_transports(json, 4096);
    FUZZ_ASSERT(again && *again == *t && encode_ar_transports(*again) == json);
  }
  if (auto h = wire::decode_health(text)) {
    auto json = wire::encode_health(*h);
    auto again = wire::decode_health(json);
    FUZZ_ASSERT(again && encode_health(*again) == json);
  }
  if (auto list = wire::decode_service_list(text)) {
    FUZZ_ASSERT(list->size() <= wire::max_services);
    auto json = wire::encode_service_list(*list);
    auto again = wire::decode_service_list(json);
    FUZZ_ASSERT(again && *again == *list && wire::encode_service_list(*again) == json);
  }
  if (auto rows = decode_log_csv(text, 4096, 1 << 20)) {
    auto csv = encode_log_csv(*rows);
    auto again = decode_log_csv(csv, 4096, 1 << 20);
    FUZZ_ASSERT(again && *again == *rows && encode_log_csv(*again) == csv);
  }
  if (auto day = parse_log_file_name(text))
    FUZZ_ASSERT(log_file_name(*day) == text && utc_day_start(*day) == *day);
  return 0;
}
