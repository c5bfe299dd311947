// Helpers shared by the discovery tests: keys and signed entries.
#pragma once

#include <string>

#include "messages/wire/dmsg/discovery_entry.hpp"
#include "runtime/crypto/keys.hpp"

namespace test_support {

inline skywire::crypto::keypair key(const std::string& seed) {
  return skywire::crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

inline void sign(skywire::wire::dmsg::entry& e, const skywire::secret_key& sk) {
  auto bytes = skywire::wire::dmsg::encode_for_signing(e);
  e.sig = skywire::crypto::sign({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                                sk);
}

inline skywire::wire::dmsg::entry server_entry(const skywire::crypto::keypair& kp, uint64_t seq,
                                               int64_t ts, std::string addr, int64_t free) {
  skywire::wire::dmsg::entry e;
  e.version = "0.0.1";
  e.sequence = seq;
  e.timestamp = ts;
  e.static_pk = kp.pk;
  e.server = skywire::wire::dmsg::server_part{std::move(addr), free, {}};
  sign(e, kp.sk);
  return e;
}

inline skywire::wire::dmsg::entry client_entry(const skywire::crypto::keypair& kp, uint64_t seq,
                                               int64_t ts,
                                               std::vector<skywire::public_key> servers) {
  skywire::wire::dmsg::entry e;
  e.version = "0.0.1";
  e.sequence = seq;
  e.timestamp = ts;
  e.static_pk = kp.pk;
  e.client = skywire::wire::dmsg::client_part{std::move(servers)};
  e.client_type = "visor";
  sign(e, kp.sk);
  return e;
}

} // namespace test_support
