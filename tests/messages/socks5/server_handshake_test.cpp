// The shared SOCKS5 server handshake (messages/wire/socks5/server.hpp):
// no-auth and passcode modes, either credential field carrying the
// passcode, refusals with the answers RFC 1928/1929 ask for, input cut
// anywhere, leftover payload kept, oversized input refused.
#include <doctest/doctest.h>

#include "messages/wire/socks5/server.hpp"

using namespace skywire::wire::socks5;
using bytes = std::vector<uint8_t>;

namespace {

bytes auth(const std::string& u, const std::string& p) {
  bytes b{1, static_cast<uint8_t>(u.size())};
  b.insert(b.end(), u.begin(), u.end());
  b.push_back(static_cast<uint8_t>(p.size()));
  b.insert(b.end(), p.begin(), p.end());
  return b;
}

const bytes connect_v4{5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90};

} // namespace

TEST_CASE("socks5 server handshake: no auth, request cut into single bytes, leftover kept") {
  server_handshake hs;
  bytes in{5, 1, 0};
  in.insert(in.end(), connect_v4.begin(), connect_v4.end());
  in.push_back('G');
  bytes out;
  server_handshake::state st{};
  for (auto b : in)
    st = hs.feed(bytes{b}, out);
  CHECK(st == server_handshake::state::ready);
  CHECK(out == bytes{5, 0});
  CHECK(hs.req().dst.host_string() == "127.0.0.1");
  CHECK(hs.req().dst.port == 8080);
  CHECK(hs.take_leftover() == bytes{'G'});
}

TEST_CASE("socks5 server handshake: a request with more than max_bytes behind it in one piece is whole") {
  // a client answered early (actors/apps/socks_connect.hpp) sends its first
  // bytes (a TLS ClientHello, a request) right behind the CONNECT
  server_handshake hs;
  bytes in{5, 1, 0};
  in.insert(in.end(), connect_v4.begin(), connect_v4.end());
  bytes payload(4 * server_handshake::max_bytes, 'x');
  in.insert(in.end(), payload.begin(), payload.end());
  bytes out;
  CHECK(hs.feed(in, out) == server_handshake::state::ready);
  CHECK(out == bytes{5, 0});
  CHECK(hs.take_leftover() == payload);
}

TEST_CASE("socks5 server handshake: a passcode in either field is accepted, a wrong one refused") {
  for (auto [u, p, ok] : {std::tuple{"pc", "x", true}, std::tuple{"x", "pc", true},
                          std::tuple{"x", "y", false}}) {
    server_handshake hs{"pc"};
    bytes out;
    CHECK(hs.feed(bytes{5, 2, 0, 2}, out) == server_handshake::state::need_more);
    CHECK(out == bytes{5, 2});
    out.clear();
    auto st = hs.feed(auth(u, p), out);
    if (!ok) {
      CHECK(st == server_handshake::state::refused);
      CHECK(out == bytes{1, 1});
      continue;
    }
    CHECK(out == bytes{1, 0});
    CHECK(hs.feed(connect_v4, out) == server_handshake::state::ready);
  }
}

TEST_CASE("socks5 server handshake: refusals answer as the RFCs ask") {
  bytes out;
  SUBCASE("passcode set, client offers only no-auth") {
    server_handshake hs{"pc"};
    CHECK(hs.feed(bytes{5, 1, 0}, out) == server_handshake::state::refused);
    CHECK(out == bytes{5, 0xff});
  }
  SUBCASE("BIND is not supported") {
    server_handshake hs;
    CHECK(hs.feed(bytes{5, 1, 0, 5, 2, 0, 1, 127, 0, 0, 1, 0, 80}, out)
          == server_handshake::state::refused);
    REQUIRE(out.size() >= 4);
    CHECK(out[2] == 5);
    CHECK(out[3] == static_cast<uint8_t>(reply_code::command_not_supported));
  }
  SUBCASE("unknown address type") {
    server_handshake hs;
    CHECK(hs.feed(bytes{5, 1, 0, 5, 1, 0, 9, 1, 2}, out) == server_handshake::state::refused);
    REQUIRE(out.size() >= 4);
    CHECK(out[3] == static_cast<uint8_t>(reply_code::address_type_not_supported));
  }
  SUBCASE("not SOCKS5 at all") {
    server_handshake hs;
    CHECK(hs.feed(bytes{4, 1, 0}, out) == server_handshake::state::refused);
  }
  SUBCASE("255 methods, then zeros: the request is not SOCKS5") {
    server_handshake hs;
    auto st = hs.feed(bytes{5, 255}, out);
    for (int i = 0; i < 10 && st == server_handshake::state::need_more; ++i)
      st = hs.feed(bytes(200, 0), out);
    CHECK(st == server_handshake::state::refused);
  }
}
