// The resolver's address policy: which observed address may be handed to
// whom (issue 9: no private or container-bridge address handed out as a
// public one).
#include <doctest/doctest.h>

#include "actors/services/address_resolver/address_policy.hpp"

namespace ar = skywire::services::address_resolver;

namespace {
boost::asio::ip::address ip(const char* s) {
  return boost::asio::ip::make_address(s);
}
} // namespace

TEST_CASE("address policy: what a peer may learn of a binding") {
  ar::address_policy prod{false}, test{true};
  using ar::visibility;
  // public bindings: everybody; the same address: local (is_local)
  CHECK(prod.visible_to(ip("203.0.113.5"), ip("198.51.100.1")) == visibility::visible);
  CHECK(prod.visible_to(ip("203.0.113.5"), ip("203.0.113.5")) == visibility::local);
  CHECK(prod.visible_to(ip("203.0.113.5"), ip("10.0.0.1")) == visibility::visible);
  // private, CGNAT, loopback: only to a peer behind the same address
  for (auto* priv : {"192.168.1.10", "10.0.0.5", "100.64.1.1", "127.0.0.1", "fd00::5"}) {
    CAPTURE(priv);
    CHECK(prod.visible_to(ip(priv), ip("203.0.113.5")) == visibility::hidden);
    CHECK(prod.visible_to(ip(priv), ip("192.168.1.11")) == visibility::hidden);
    CHECK(prod.visible_to(ip(priv), ip(priv)) == visibility::local);
    CHECK(test.visible_to(ip(priv), ip("203.0.113.5")) == visibility::visible);
  }
  // the docker bridge: never (behind the userland proxy everybody shares it)
  CHECK(prod.visible_to(ip("172.17.0.1"), ip("172.17.0.1")) == visibility::hidden);
  CHECK(prod.visible_to(ip("172.17.0.1"), ip("203.0.113.5")) == visibility::hidden);
  CHECK(test.visible_to(ip("172.17.0.1"), ip("172.17.0.1")) == visibility::local);
  // unusable: never, not even in test mode
  CHECK(test.visible_to(ip("0.0.0.0"), ip("0.0.0.0")) == visibility::hidden);
  // IPv4-mapped viewers are their IPv4 address
  CHECK(prod.visible_to(ip("127.0.0.1"), ip("::ffff:127.0.0.1")) == visibility::local);
}

TEST_CASE("address policy: stcpr binds need a public IPv4 address (any usable one in test mode)") {
  ar::address_policy prod{false}, test{true};
  CHECK_FALSE(prod.stcpr_refusal(ip("203.0.113.5")));
  CHECK_FALSE(prod.stcpr_refusal(ip("::ffff:203.0.113.5")));
  CHECK(prod.stcpr_refusal(ip("192.168.1.10")));
  CHECK(prod.stcpr_refusal(ip("127.0.0.1")));
  CHECK(prod.stcpr_refusal(ip("172.17.0.3")));
  CHECK(prod.stcpr_refusal(ip("2001:db8::1"))); // Go dialers join ip + ":" + port
  CHECK_FALSE(test.stcpr_refusal(ip("127.0.0.1")));
  CHECK_FALSE(test.stcpr_refusal(ip("10.0.0.1")));
  CHECK(test.stcpr_refusal(ip("::1")));
  CHECK(test.stcpr_refusal(ip("0.0.0.0")));
  CHECK(prod.stcpr_refusal(ip("100.64.0.9"))->find("private") != std::string::npos);
}
