// The setup node's configuration file (reference §1.9).
#include <doctest/doctest.h>

#include "actors/services/setup_node/config.hpp"
#include "runtime/crypto/keys.hpp"

using namespace skywire;
namespace sn = skywire::services::setup_node;

namespace {

crypto::keypair key(std::string_view seed) {
  return crypto::deterministic_keypair({reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

std::string node_json(const std::string& pk, const std::string& sk, const std::string& dmsg) {
  return R"({"public_key":")" + pk + R"(","secret_key":")" + sk + R"(","dmsg":)" + dmsg
         + R"(,"transport_discovery":"http://127.0.0.1:9091","log_level":"debug","extra":1})";
}

} // namespace

TEST_CASE("setup node config: the reference's keys") {
  auto k = key("sn-config");
  auto c = sn::parse_node_config(
    node_json(k.pk.hex(), k.sk.hex(), R"({"discovery":"http://127.0.0.1:9090","sessions_count":2,"servers":[]})"));
  REQUIRE_MESSAGE(c, describe(c.error()));
  CHECK(c->dmsg.pk == k.pk);
  CHECK(c->dmsg.discovery_url == "http://127.0.0.1:9090");
  CHECK(c->dmsg.sessions_count == 2);
  CHECK(c->transport_discovery == "http://127.0.0.1:9091");
  CHECK(c->log_level == "debug");
}

TEST_CASE("setup node config: what is refused") {
  auto k = key("sn-config");
  auto other = key("sn-other");
  auto dmsg = std::string{R"({"discovery":"http://127.0.0.1:9090"})"};
  CHECK_FALSE(sn::parse_node_config("[]"));
  CHECK_FALSE(sn::parse_node_config("{"));
  CHECK_FALSE(sn::parse_node_config(node_json(k.pk.hex(), other.sk.hex(), dmsg)));
  CHECK_FALSE(sn::parse_node_config(node_json(k.pk.hex(), "00", dmsg)));
  CHECK_FALSE(sn::parse_node_config(node_json(std::string(66, '0'), k.sk.hex(), dmsg)));
  CHECK_FALSE(sn::parse_node_config(node_json(k.pk.hex(), k.sk.hex(), "{}")));
  CHECK_FALSE(sn::parse_node_config(node_json(k.pk.hex(), k.sk.hex(), "1")));
  CHECK_FALSE(sn::parse_node_config(
    node_json(k.pk.hex(), k.sk.hex(), R"({"discovery":"http://x","sessions_count":-1})")));
  CHECK_FALSE(sn::parse_node_config(
    node_json(k.pk.hex(), k.sk.hex(), R"({"discovery":"http://x","servers":[{"bogus":1}]})")));
  CHECK_FALSE(sn::parse_node_config(std::string(sn::max_config_size + 1, ' ')));
}
