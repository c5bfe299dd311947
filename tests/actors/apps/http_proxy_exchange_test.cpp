// skysocks-client's HTTP proxy connection before its bytes are piped
// (actors/apps/http_proxy_exchange.hpp), without sockets: the head, our
// SOCKS5 handshake with the server on the stream, the answers on success
// and on every failure, and what is credited as handshake bytes.
#include <doctest/doctest.h>

#include <string>

#include "actors/apps/http_proxy_exchange.hpp"

using namespace skywire;
using skywire::apps::http_proxy_exchange;
namespace socks5 = skywire::wire::socks5;
using phase = http_proxy_exchange::phase;

namespace {

std::span<const uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string text_of(const std::vector<uint8_t>& b) {
  return {b.begin(), b.end()};
}

std::vector<uint8_t> method_choice(socks5::method m) {
  auto a = socks5::encode_method_choice(m);
  return {a.begin(), a.end()};
}

/// An exchange whose head asked for `head` and is now in the handshake.
http_proxy_exchange handshaking(std::string_view head) {
  http_proxy_exchange x;
  auto a = x.from_client(span_of(head));
  REQUIRE(a.open_stream);
  REQUIRE(x.current() == phase::handshake);
  return x;
}

} // namespace

TEST_CASE("http proxy exchange: an absolute-URI GET goes out in origin form after the SOCKS reply") {
  http_proxy_exchange x;
  std::string head = "GET http://localhost:8000/hello.txt HTTP/1.1\r\nHost: localhost:8000\r\n"
                     "Proxy-Connection: Keep-Alive\r\n\r\n";
  auto a = x.from_client(span_of(head.substr(0, 20)));
  CHECK_FALSE(a.open_stream);
  CHECK(a.to_client.empty());
  a = x.from_client(span_of(head.substr(20) + "early"));
  REQUIRE(a.open_stream);
  CHECK_FALSE(a.close);
  // greeting (no auth) and CONNECT localhost:8000 at once
  std::vector<uint8_t> want{5, 1, 0, 5, 1, 0, 3, 9};
  for (char c : std::string{"localhost"})
    want.push_back(static_cast<uint8_t>(c));
  want.push_back(8000 >> 8);
  want.push_back(8000 & 0xff);
  CHECK(a.to_stream == want);
  CHECK(x.request().authority == "localhost:8000");
  // the client's next bytes wait
  CHECK(x.from_client(span_of("more")).to_stream.empty());
  // the server's answers, cut anywhere; the response's first bytes ride along
  auto reply = method_choice(socks5::method::no_auth);
  auto r = socks5::encode_reply(socks5::reply_code::succeeded);
  reply.insert(reply.end(), r.begin(), r.end());
  std::string response = "HTTP/1.0 200 OK\r\n";
  CHECK(x.from_stream({reply.data(), 1}).payload.empty());
  CHECK(x.from_stream({reply.data() + 1, 4}).payload.empty());
  std::vector<uint8_t> last(reply.begin() + 5, reply.end());
  last.insert(last.end(), response.begin(), response.end());
  a = x.from_stream(last);
  CHECK(a.pipe);
  CHECK_FALSE(a.close);
  CHECK(x.current() == phase::done);
  CHECK(text_of(a.payload) == response);
  CHECK(a.to_client.empty());
  CHECK(text_of(a.to_stream)
        == "GET /hello.txt HTTP/1.1\r\nHost: localhost:8000\r\nConnection: close\r\n\r\nearlymore");
  // from now on the caller pipes: nothing more here
  CHECK_FALSE(x.from_stream(span_of("x")).pipe);
  CHECK(x.fail(504, "late").to_client.empty());
}

TEST_CASE("http proxy exchange: CONNECT is answered 200 once the server connected") {
  auto x = handshaking("CONNECT [::1]:443 HTTP/1.1\r\n\r\nTLS");
  CHECK(x.request().tunnel);
  auto reply = method_choice(socks5::method::no_auth);
  socks5::target bound;
  bound.type = socks5::target::kind::domain;
  bound.domain = "bound.example";
  auto r = socks5::encode_reply(socks5::reply_code::succeeded, bound);
  reply.insert(reply.end(), r.begin(), r.end());
  auto a = x.from_stream(reply);
  REQUIRE(a.pipe);
  CHECK(text_of(a.to_client) == "HTTP/1.1 200 Connection established\r\n\r\n");
  CHECK(text_of(a.to_stream) == "TLS");
  CHECK(a.payload.empty());
}

TEST_CASE("http proxy exchange: SOCKS refusals become 502, 403 and 504 answers") {
  struct row {
    socks5::reply_code code;
    unsigned status;
  };
  for (auto [code, status] : {row{socks5::reply_code::connection_refused, 502},
                              row{socks5::reply_code::host_unreachable, 502},
                              row{socks5::reply_code::general_failure, 502},
                              row{socks5::reply_code::not_allowed, 403},
                              row{socks5::reply_code::ttl_expired, 504}}) {
    auto x = handshaking("GET http://127.0.0.1:9/ HTTP/1.1\r\n\r\n");
    auto reply = method_choice(socks5::method::no_auth);
    auto r = socks5::encode_reply(code);
    reply.insert(reply.end(), r.begin(), r.end());
    auto a = x.from_stream(reply);
    CHECK(a.close);
    CHECK_FALSE(a.pipe);
    CHECK(a.to_stream.empty());
    CHECK(x.status() == status);
    CHECK(text_of(a.to_client).starts_with("HTTP/1.1 " + std::to_string(status) + " "));
    CHECK(text_of(a.to_client).find("127.0.0.1:9") != std::string::npos);
    CHECK(x.current() == phase::failed);
    // later bytes from either side are dropped
    CHECK(x.from_stream(span_of("junk")).to_client.empty());
    CHECK(x.from_client(span_of("junk")).to_stream.empty());
  }
}

TEST_CASE("http proxy exchange: a server that wants a passcode or speaks no SOCKS5 is a 502") {
  for (auto m : {socks5::method::none_acceptable, socks5::method::user_pass}) {
    auto x = handshaking("GET http://h/ HTTP/1.1\r\n\r\n");
    auto a = x.from_stream(method_choice(m));
    CHECK(a.close);
    CHECK(x.status() == 502);
    CHECK(x.why().find("passcode") != std::string::npos);
  }
  auto x = handshaking("GET http://h/ HTTP/1.1\r\n\r\n");
  auto a = x.from_stream(span_of("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(a.close);
  CHECK(x.status() == 502);
  auto y = handshaking("GET http://h/ HTTP/1.1\r\n\r\n");
  const std::vector<uint8_t> bad_reply{5, 0, 5, 0, 1, 9}; // reserved byte not zero
  CHECK(y.from_stream(bad_reply).close);
  CHECK(y.status() == 502);
}

TEST_CASE("http proxy exchange: bad heads are answered at once, no stream is opened") {
  http_proxy_exchange x;
  auto a = x.from_client(span_of("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  CHECK_FALSE(a.open_stream);
  CHECK(a.close);
  CHECK(text_of(a.to_client).starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(x.status() == 400);

  http_proxy_exchange big;
  std::string chunk(4096, 'a');
  big.from_client(span_of("GET http://h/ HTTP/1.1\r\nX: "));
  http_proxy_exchange::actions last;
  for (int i = 0; i < 5 && !last.close; ++i)
    last = big.from_client(span_of(chunk));
  CHECK(last.close);
  CHECK(big.status() == 431);

  http_proxy_exchange slow;
  CHECK(slow.from_client(span_of("GET http://h/")).to_client.empty());
  auto t = slow.fail(408, "no complete request head within 30 s");
  CHECK(t.close);
  CHECK(text_of(t.to_client).starts_with("HTTP/1.1 408 Request Timeout\r\n"));
  CHECK(slow.fail(408, "again").to_client.empty()); // answered once
}

TEST_CASE("http proxy exchange: a client that keeps sending during the handshake is refused") {
  auto x = handshaking("CONNECT h:443 HTTP/1.1\r\n\r\n");
  std::string chunk(64 * 1024, 'x');
  http_proxy_exchange::actions a;
  for (size_t sent = 0; sent <= http_proxy_exchange::max_early && !a.close; sent += chunk.size())
    a = x.from_client(span_of(chunk));
  CHECK(a.close);
  CHECK(x.status() == 400);
}
