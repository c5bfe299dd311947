// Helpers shared by the service discovery tests: keys, Service entries,
// httpauth-signed requests (those of the transport discovery tests).
#pragma once

#include <string>

#include "messages/wire/service_discovery.hpp"
#include "tests/actors/services/transport_discovery/support.hpp"

namespace sd_test {

using tpd_test::key;
using tpd_test::sec;
using tpd_test::signed_request;
using tpd_test::t0;

inline skywire::wire::service_entry service(const skywire::crypto::keypair& kp, uint16_t prt,
                                            std::string type, std::string version = "v1.3.20") {
  skywire::wire::service_entry s;
  s.pk = kp.pk;
  s.prt = skywire::port{prt};
  s.type = std::move(type);
  s.version = std::move(version);
  return s;
}

inline skywire::wire::service_entry with_country(skywire::wire::service_entry s,
                                                 std::string country) {
  s.geo = skywire::wire::service_geo{52.52, 13.405, std::move(country), ""};
  return s;
}

} // namespace sd_test
