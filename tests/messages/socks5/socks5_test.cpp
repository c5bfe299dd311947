#include <doctest/doctest.h>

#include "messages/wire/socks5/socks5.hpp"

using namespace skywire::wire::socks5;

TEST_CASE("socks5 greeting as curl sends it, byte by byte") {
  // curl --socks5-hostname offers "no auth" (and user/pass when credentials are given)
  const std::vector<uint8_t> g{5, 2, 0, 2};
  for (size_t n = 0; n < g.size(); ++n) {
    auto r = parse_greeting({g.data(), n});
    REQUIRE(r);
    CHECK_FALSE(r->has_value()); // needs more
  }
  auto r = parse_greeting(g);
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->consumed == 4);
  CHECK((*r)->value.offers(method::no_auth));
  CHECK((*r)->value.offers(method::user_pass));
  CHECK(encode_method_choice(method::no_auth) == std::array<uint8_t, 2>{5, 0});
}

TEST_CASE("socks5 connect request with a .dmsg domain round-trips") {
  request req;
  req.dst.type = target::kind::domain;
  req.dst.domain = "02dc78063c8e7d6d4f7c1c1c9fb3c95be41c8a6e1f3e5d60c7a11a2cba68154be.dmsg";
  req.dst.port = 80;
  auto bytes = encode_request(req);
  REQUIRE(bytes);
  auto r = parse_request(*bytes);
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->consumed == bytes->size());
  CHECK((*r)->value.dst.host_string() == req.dst.domain);
  CHECK((*r)->value.dst.port == 80);
  CHECK((*r)->value.cmd == command::connect);
}

TEST_CASE("socks5 ipv4 and ipv6 targets print as text") {
  std::vector<uint8_t> v4{5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90};
  auto r = parse_request(v4);
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->value.dst.host_string() == "127.0.0.1");
  CHECK((*r)->value.dst.port == 8080);
  std::vector<uint8_t> v6{5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80};
  r = parse_request(v6);
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->value.dst.host_string() == "0:0:0:0:0:0:0:1");
}

TEST_CASE("socks5 rejects bad versions, commands, address types and empty names") {
  CHECK_FALSE(parse_greeting(std::vector<uint8_t>{4, 1, 0}));
  CHECK_FALSE(parse_greeting(std::vector<uint8_t>{5, 0}));
  CHECK_FALSE(parse_request(std::vector<uint8_t>{5, 9, 0, 1, 1, 2, 3, 4, 0, 80}));
  CHECK_FALSE(parse_request(std::vector<uint8_t>{5, 1, 1, 1, 1, 2, 3, 4, 0, 80}));
  CHECK_FALSE(parse_request(std::vector<uint8_t>{5, 1, 0, 7, 1, 2, 3, 4, 0, 80}));
  CHECK_FALSE(parse_request(std::vector<uint8_t>{5, 1, 0, 3, 0, 0, 80}));
  CHECK_FALSE(parse_credentials(std::vector<uint8_t>{2, 1, 'a', 1, 'b'}));
}

TEST_CASE("socks5 reply and credentials") {
  auto rep = encode_reply(reply_code::host_unreachable);
  CHECK(rep == std::vector<uint8_t>{5, 4, 0, 1, 0, 0, 0, 0, 0, 0});
  auto c = parse_credentials(std::vector<uint8_t>{1, 3, 'b', 'o', 'b', 2, 'p', 'w'});
  REQUIRE(c);
  REQUIRE(c->has_value());
  CHECK((*c)->value.user == "bob");
  CHECK((*c)->value.password == "pw");
  CHECK((*c)->consumed == 8);
}
