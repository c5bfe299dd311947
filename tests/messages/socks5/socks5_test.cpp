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

TEST_CASE("socks5 names that are address literals become address targets") {
  auto name = [](std::string n) {
    target t;
    t.type = target::kind::domain;
    t.domain = std::move(n);
    t.port = 443;
    return t;
  };
  auto v4 = numeric(name("127.0.0.1"));
  CHECK(v4.type == target::kind::ipv4);
  CHECK(v4.host_string() == "127.0.0.1");
  CHECK(v4.port == 443);
  CHECK(v4.domain.empty());
  auto v6 = numeric(name("::1"));
  CHECK(v6.type == target::kind::ipv6);
  CHECK(v6.host_string() == "0:0:0:0:0:0:0:1");
  auto mapped = numeric(name("::ffff:10.0.0.1"));
  CHECK(mapped.type == target::kind::ipv6);
  CHECK(mapped.ip[10] == 0xff);
  CHECK(mapped.ip[15] == 1);
  // names, and the forms only a resolver reads, stay names
  for (const char* n : {"localhost", "example.com", "127.1", "1.2.3.4.5", "[::1]", "fe80::1%eth0",
                        "127.0.0.1 ", "0x7f.0.0.1", "abc.dmsg"}) {
    auto t = numeric(name(n));
    CHECK_MESSAGE(t.type == target::kind::domain, n);
    CHECK(t.domain == n);
  }
  // an address target is left as it is
  target ip;
  ip.ip[0] = 10;
  CHECK(numeric(ip).host_string() == "10.0.0.0");
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

TEST_CASE("socks5 client side: the method choice and the reply as the server encodes them") {
  auto mc = encode_method_choice(method::none_acceptable);
  auto m = parse_method_choice(mc);
  REQUIRE(m);
  REQUIRE(m->has_value());
  CHECK((*m)->value == method::none_acceptable);
  CHECK((*m)->consumed == 2);
  CHECK_FALSE(parse_method_choice(std::array<uint8_t, 2>{4, 0})); // SOCKS4
  target bound;
  bound.type = target::kind::ipv6;
  bound.ip[15] = 1;
  bound.port = 4242;
  auto bytes = encode_reply(reply_code::connection_refused, bound);
  bytes.push_back(0x42); // a payload byte after the reply is not the reply's
  for (size_t n = 0; n + 1 < bytes.size(); ++n) {
    auto r = parse_reply({bytes.data(), n});
    REQUIRE(r);
    CHECK_FALSE(r->has_value()); // needs more
  }
  auto r = parse_reply(bytes);
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->consumed == bytes.size() - 1);
  CHECK((*r)->value.code == reply_code::connection_refused);
  CHECK((*r)->value.bound.host_string() == "0:0:0:0:0:0:0:1");
  CHECK((*r)->value.bound.port == 4242);
  CHECK_FALSE(parse_reply(std::vector<uint8_t>{5, 0, 1, 1, 0, 0, 0, 0, 0, 0})); // reserved byte
  CHECK_FALSE(parse_reply(std::vector<uint8_t>{5, 0, 0, 9, 0, 0}));             // address type
  CHECK_FALSE(parse_reply(std::vector<uint8_t>{4, 90, 0, 1, 0, 0, 0, 0, 0, 0})); // SOCKS4
}
