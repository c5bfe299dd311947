// The discovery Entry codec against the Go reference's vectors, and its
// strict decoding rules.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "actors/services/dmsg_discovery_rules.hpp"
#include "messages/wire/dmsg/discovery_entry.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/support/build_paths.hpp"

using namespace skywire;
namespace dm = skywire::wire::dmsg;

namespace {

boost::json::value load_vectors() {
  std::ifstream in{std::string{SKYWIRE_VECTORS_DIR} + "/skywire/dmsg.json"};
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return boost::json::parse(ss.str());
}

std::string str(const boost::json::value& v, const char* key) {
  return std::string{v.at(key).as_string()};
}

byte_span bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

const char* alice_pk = "03423b3a4e823ff981b6855640b4f78846d819880fd9ee1ab829bc069ea46f67f5";

} // namespace

TEST_CASE("discovery entries: every vector decodes, re-encodes byte-exact and verifies") {
  auto v = load_vectors();
  const auto& items = v.at("discovery_entries").at("items").as_array();
  REQUIRE(items.size() == 3);
  for (const auto& item : items) {
    CAPTURE(str(item, "name"));
    auto sent = str(item, "sent_json_ascii");
    auto e = dm::decode(sent);
    REQUIRE(e);
    CHECK(dm::encode_for_signing(*e) == str(item, "signed_json_ascii"));
    CHECK(to_hex(bytes_of(dm::encode_for_signing(*e))) == str(item, "signed_json_hex"));
    CHECK(dm::encode(*e) == sent);
    CHECK(crypto::sha256(bytes_of(dm::encode_for_signing(*e))).hex()
          == str(item, "sha256_of_signed_json"));
    REQUIRE(e->sig);
    CHECK(e->sig->hex() == str(item, "signature"));
    CHECK(e->static_pk.hex() == str(item, "signer_pk"));
    CHECK_FALSE(services::verify_signature(*e));
    // any change to a signed field breaks the signature
    auto t = *e;
    t.sequence += 1;
    CHECK(services::status_of(services::verify_signature(t)) == 401);
    t = *e;
    t.timestamp += 1;
    CHECK(services::verify_signature(t));
    // decode(encode(x)) == x
    auto again = dm::decode(dm::encode(*e));
    REQUIRE(again);
    CHECK(*again == *e);
  }
  // the shapes: client entry with client_type, server entry without serverType
  auto c = dm::decode(str(items[0], "sent_json_ascii"));
  REQUIRE(c);
  CHECK(c->is_client());
  CHECK_FALSE(c->is_server());
  CHECK(c->client_type == "visor");
  REQUIRE(c->client->delegated_servers);
  CHECK(c->client->delegated_servers->size() == 1);
  auto s = dm::decode(str(items[1], "sent_json_ascii"));
  REQUIRE(s);
  REQUIRE(s->server);
  CHECK(s->server->address == "203.0.113.7:8081");
  CHECK(s->server->available_sessions == 2048);
  CHECK(s->server->server_type.empty());
}

TEST_CASE("discovery entries: Go omitempty and nil/empty slice forms survive a round trip") {
  std::string base = R"({"version":"0.0.1","sequence":3,"timestamp":-5,"static":")"
                     + std::string{alice_pk} + R"(",)";
  for (std::string tail : {R"("client":{"delegated_servers":null}})",
                           R"("client":{"delegated_servers":[]}})",
                           R"("server":{"address":"a:1","availableSessions":-1,"serverType":"community"}})",
                           R"("client":{"delegated_servers":[]},"client_type":"visor","server":{"address":"","availableSessions":0}})"}) {
    auto text = base + tail;
    auto e = dm::decode(text);
    REQUIRE(e);
    CHECK(dm::encode(*e) == text);
  }
  // absent delegated_servers decodes as nil and encodes as null, like Go
  auto e = dm::decode(base + R"("client":{}})");
  REQUIRE(e);
  CHECK(dm::encode(*e) == base + R"("client":{"delegated_servers":null}})");
  // unknown fields are ignored; null fields are absent
  e = dm::decode(base + R"("client":null,"extra":[1,2,{"x":1}],"client_type":null})");
  REQUIRE(e);
  CHECK(dm::encode(*e) == base.substr(0, base.size() - 1) + "}");
  // HTML-sensitive characters are escaped as Go does
  e = dm::decode(base + R"("server":{"address":"<a&b>:1","availableSessions":1}})");
  REQUIRE(e);
  CHECK(dm::encode(*e).find(R"(\u003ca\u0026b\u003e:1)") != std::string::npos);
}

TEST_CASE("discovery entries: strict bounded decoding with clear errors") {
  auto pk = std::string{alice_pk};
  auto bad = [](std::string text, wire_errc code) {
    CAPTURE(text);
    auto e = dm::decode(text);
    REQUIRE_FALSE(e);
    CHECK(e.error().category() == wire_category());
    CHECK(e.error().code() == static_cast<uint8_t>(code));
  };
  bad("", wire_errc::malformed);
  bad("[]", wire_errc::malformed);
  bad("{\"version\":\"0.0.1\",", wire_errc::malformed);
  bad(R"({"sequence":-1})", wire_errc::bad_value);
  bad(R"({"sequence":1.5})", wire_errc::bad_value);
  bad(R"({"sequence":1e3})", wire_errc::bad_value);
  bad(R"({"sequence":"1"})", wire_errc::bad_value);
  bad(R"({"timestamp":18446744073709551615})", wire_errc::bad_value);
  bad(R"({"version":7})", wire_errc::malformed);
  bad(R"({"static":"zz"})", wire_errc::bad_value);
  bad(R"({"static":"04)" + pk.substr(2) + "\"}", wire_errc::bad_value);
  bad(R"({"static":5})", wire_errc::malformed);
  bad(R"({"client":{"delegated_servers":["abc"]}})", wire_errc::bad_value);
  bad(R"({"client":{"delegated_servers":[""]}})", wire_errc::bad_value);
  bad(R"({"client":{"delegated_servers":{}}})", wire_errc::malformed);
  bad(R"({"client":[]})", wire_errc::malformed);
  bad(R"({"server":{"availableSessions":"9"}})", wire_errc::bad_value);
  bad(R"({"signature":"abcd"})", wire_errc::bad_value);
  bad(R"({"version":"\ud800"})", wire_errc::malformed); // lone surrogate: invalid
  bad("{\"version\":\"\xff\"}", wire_errc::malformed);  // invalid UTF-8
  bad(R"({"a":[[[[[[[[[[1]]]]]]]]]]})", wire_errc::malformed); // too deep
  dm::decode_limits lim;
  lim.max_delegated_servers = 2;
  std::string three = R"({"client":{"delegated_servers":[")" + pk + "\",\"" + pk + "\",\"" + pk
                      + "\"]}}";
  auto e = dm::decode(three, lim);
  REQUIRE_FALSE(e);
  CHECK(e.error().code() == static_cast<uint8_t>(wire_errc::oversized));
  lim = {};
  lim.max_bytes = 32;
  e = dm::decode(std::string(33, ' '), lim);
  REQUIRE_FALSE(e);
  CHECK(e.error().code() == static_cast<uint8_t>(wire_errc::oversized));
  lim = {};
  lim.max_string = 4;
  e = dm::decode(R"({"server":{"address":"12345"}})", lim);
  REQUIRE_FALSE(e);
  CHECK(e.error().code() == static_cast<uint8_t>(wire_errc::oversized));
}

TEST_CASE("discovery entries: lists of entries and keys") {
  auto v = load_vectors();
  const auto& items = v.at("discovery_entries").at("items").as_array();
  std::vector<dm::entry> es;
  for (const auto& item : items)
    es.push_back(*dm::decode(str(item, "sent_json_ascii")));
  auto text = dm::encode_list(es);
  auto back = dm::decode_list(text);
  REQUIRE(back);
  CHECK(*back == es);
  CHECK(dm::encode_list({}) == "[]");
  auto none = dm::decode_list("null");
  REQUIRE(none);
  CHECK(none->empty());
  std::vector<public_key> keys{es[0].static_pk, es[1].static_pk};
  auto kt = dm::encode_key_list(keys);
  CHECK(kt == "[\"" + keys[0].hex() + "\",\"" + keys[1].hex() + "\"]");
  auto kb = dm::decode_key_list(kt);
  REQUIRE(kb);
  CHECK(*kb == keys);
  CHECK_FALSE(dm::decode_key_list("[1]"));
  CHECK_FALSE(dm::decode_key_list("{}"));
  dm::decode_limits lim;
  lim.max_entries = 1;
  CHECK_FALSE(dm::decode_list(text, lim));
}
