// Fuzz the STUN codec (the visor's NAT-type probe and `skywire svc stun`):
// the request decoder a server runs on every datagram and the response
// decoder a visor runs on what comes back, then the input as an answer to a
// probe's first request. Properties: errors are values, nothing is read
// past the input; a decoded request re-encodes to one that decodes the
// same; a decoded response re-encodes to one that decodes the same (the
// mapped and the other address survive); the probe takes only an answer
// carrying its transaction id.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "actors/transport/stun_probe.hpp"

using namespace skywire;
namespace tp = skywire::transport;
namespace stun = skywire::transport::stun;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in{data, size};
  if (auto r = stun::decode_request(in)) {
    FUZZ_ASSERT(size >= 20 && size <= stun::max_message);
    auto again = stun::decode_request(stun::encode_request(r->id, r->change_ip, r->change_port));
    FUZZ_ASSERT(again && again->id == r->id && again->change_ip == r->change_ip
                && again->change_port == r->change_port);
  }
  if (auto r = stun::decode_response(in)) {
    FUZZ_ASSERT(size >= 20 && size <= stun::max_message);
    for (bool xored : {true, false}) {
      auto again = stun::decode_response(stun::encode_response(*r, xored));
      FUZZ_ASSERT(again && again->id == r->id && again->mapped == r->mapped
                  && again->other == r->other);
    }
  }
  // the input as the answer to Test I: taken only with the request's id
  stun::endpoint server{boost::asio::ip::make_address_v4("198.51.100.1"), 3478};
  stun::endpoint local{boost::asio::ip::make_address_v4("192.168.1.2"), 5000};
  stun::transaction_id id{};
  id.fill(0x5a);
  tp::nat_probe probe{server, local, [id] { return id; }};
  auto req = probe.next();
  FUZZ_ASSERT(req && req->to == server);
  if (probe.on_datagram(server, in)) {
    auto r = stun::decode_response(in);
    FUZZ_ASSERT(r && r->id == id);
  }
  return 0;
}
