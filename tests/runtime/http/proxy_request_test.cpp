// The HTTP proxy's request head (runtime/http/proxy_request.hpp): CONNECT
// and absolute-URI requests, the origin-form rewrite without hop-by-hop
// headers, and the hostile heads refused with 400 or 431.
#include <doctest/doctest.h>

#include <string>

#include "runtime/http/proxy_request.hpp"

using namespace skywire;
using namespace skywire::http;
namespace socks5 = skywire::wire::socks5;
using namespace std::string_view_literals;

namespace {

proxy_request parsed(std::string_view head) {
  proxy_failure why;
  auto r = parse_proxy_head(head, max_proxy_head, &why);
  INFO(why.reason);
  REQUIRE(r);
  REQUIRE(r->has_value());
  return std::move(**r);
}

/// The status a refused head is answered with.
unsigned refused(std::string_view head) {
  proxy_failure why;
  auto r = parse_proxy_head(head, max_proxy_head, &why);
  INFO(head);
  REQUIRE_FALSE(r);
  CHECK_FALSE(why.reason.empty());
  return why.status;
}

} // namespace

TEST_CASE("proxy head: CONNECT host:port is a tunnel; what follows the head is not the head's") {
  std::string head = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
                     "Proxy-Connection: Keep-Alive\r\n\r\n";
  auto r = parsed(head + "\x16\x03\x01"); // a TLS ClientHello sent eagerly
  CHECK(r.tunnel);
  CHECK(r.consumed == head.size());
  CHECK(r.dst.type == socks5::target::kind::domain);
  CHECK(r.dst.domain == "example.com");
  CHECK(r.dst.port == 443);
  CHECK(r.authority == "example.com:443");
  CHECK(r.head.empty());

  auto v4 = parsed("CONNECT 127.0.0.1:8080 HTTP/1.1\r\n\r\n");
  CHECK(v4.dst.type == socks5::target::kind::ipv4);
  CHECK(v4.dst.host_string() == "127.0.0.1");
  CHECK(v4.dst.port == 8080);
  auto v6 = parsed("CONNECT [::1]:8443 HTTP/1.1\r\n\r\n");
  CHECK(v6.dst.type == socks5::target::kind::ipv6);
  CHECK(v6.dst.host_string() == "0:0:0:0:0:0:0:1");
  CHECK(v6.dst.port == 8443);
}

TEST_CASE("proxy head: an absolute-URI request is rewritten to origin form, hop-by-hop headers gone") {
  std::string head = "GET http://Example.COM:8080/a/b.txt?x=1&y=%20#frag HTTP/1.1\r\n"
                     "Host: elsewhere.example\r\n"
                     "User-Agent: curl/7.88.1\r\n"
                     "Accept: */*\r\n"
                     "Proxy-Connection: Keep-Alive\r\n"
                     "Proxy-Authorization: Basic dTpw\r\n"
                     "Connection: keep-alive, X-Hop, Content-Length\r\n"
                     "Keep-Alive: timeout=5\r\n"
                     "TE: trailers\r\n"
                     "X-Hop: private\r\n"
                     "Upgrade: websocket\r\n"
                     "Content-Length: 4\r\n"
                     "X-End-To-End: kept\r\n"
                     "\r\n";
  auto r = parsed(head + "body");
  CHECK_FALSE(r.tunnel);
  CHECK(r.consumed == head.size());
  CHECK(r.dst.type == socks5::target::kind::domain);
  CHECK(r.dst.domain == "Example.COM");
  CHECK(r.dst.port == 8080);
  CHECK(r.authority == "Example.COM:8080");
  CHECK(r.head == "GET /a/b.txt?x=1&y=%20 HTTP/1.1\r\n"
                  "Host: Example.COM:8080\r\n"
                  "User-Agent: curl/7.88.1\r\n"
                  "Accept: */*\r\n"
                  "Content-Length: 4\r\n" // named by Connection, but the body needs it
                  "X-End-To-End: kept\r\n"
                  "Connection: close\r\n\r\n");
}

TEST_CASE("proxy head: paths, ports, versions and methods of forwarded requests") {
  auto bare = parsed("GET http://localhost HTTP/1.1\r\n\r\n");
  CHECK(bare.head == "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  CHECK(bare.dst.port == 80);
  auto query = parsed("GET HTTP://h?q=1 HTTP/1.0\r\n\r\n"); // scheme case-insensitive
  CHECK(query.head == "GET /?q=1 HTTP/1.0\r\nHost: h\r\nConnection: close\r\n\r\n");
  auto port80 = parsed("HEAD http://h:80/x HTTP/1.1\r\n\r\n");
  CHECK(port80.head == "HEAD /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  auto v6 = parsed("DELETE http://[::1]:9000/item/7 HTTP/1.1\r\n\r\n");
  CHECK(v6.dst.type == socks5::target::kind::ipv6);
  CHECK(v6.head == "DELETE /item/7 HTTP/1.1\r\nHost: [::1]:9000\r\nConnection: close\r\n\r\n");
  auto custom = parsed("PURGE http://10.0.0.1/c HTTP/1.1\r\nX-A: 1\r\nX-A: 2\r\n\r\n");
  CHECK(custom.dst.type == socks5::target::kind::ipv4);
  CHECK(custom.head
        == "PURGE /c HTTP/1.1\r\nHost: 10.0.0.1\r\nX-A: 1\r\nX-A: 2\r\nConnection: close\r\n\r\n");
  auto chunked = parsed("POST http://h/up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(chunked.head
        == "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
}

TEST_CASE("proxy head: incomplete heads wait, byte by byte, until the empty line") {
  std::string head = "GET http://h/ HTTP/1.1\r\nAccept: */*\r\n\r\n";
  for (size_t n = 0; n < head.size(); ++n) {
    auto r = parse_proxy_head(std::string_view{head}.substr(0, n));
    REQUIRE(r);
    CHECK_FALSE(r->has_value());
    CHECK(find_head_end(std::string_view{head}.substr(0, n)) == std::string_view::npos);
  }
  CHECK(find_head_end(head) == head.size());
  CHECK(find_head_end(head, head.size() - 4) == head.size());
  CHECK(find_head_end("a\n\nb") == 3);
}

TEST_CASE("proxy head: hostile and unsupported heads are refused with 400") {
  CHECK(refused("GET / HTTP/1.1\r\nHost: h\r\n\r\n") == 400);           // not a proxy request
  CHECK(refused("GET https://h/ HTTP/1.1\r\n\r\n") == 400);             // TLS: CONNECT only
  CHECK(refused("GET ftp://h/ HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused("GET dmsg://h/ HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused("GET http://user:pw@h/ HTTP/1.1\r\n\r\n") == 400);     // user info
  CHECK(refused("GET http:///x HTTP/1.1\r\n\r\n") == 400);              // no host
  CHECK(refused("GET http://h:0/ HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused("GET http://h:65536/ HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused("GET http://h:8x/ HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused("GET http://h%2e/ HTTP/1.1\r\n\r\n") == 400);           // not a DNS name
  CHECK(refused("GET http://[fe80::1%25eth0]/ HTTP/1.1\r\n\r\n") == 400); // zone
  CHECK(refused("GET http://[nope]/ HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused("GET http://[::1/ HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused(("GET http://" + std::string(256, 'a') + "/ HTTP/1.1\r\n\r\n")) == 400);
  CHECK(refused("CONNECT h HTTP/1.1\r\n\r\n") == 400);                  // no port
  CHECK(refused("CONNECT h:443/x HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused("CONNECT [::1] HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused("CONNECT a@h:443 HTTP/1.1\r\n\r\n") == 400);
  CHECK(refused("GET http://h/ HTTP/2.0\r\n\r\n") == 400);
  CHECK(refused("GET http://h/ HTTP/1.1\n\n") == 400);                  // bare line feeds
  CHECK(refused("GET http://h/ HTTP/1.1\r\nX: a\0b\r\n\r\n"sv) == 400);
  CHECK(refused("GET http://h/ HTTP/1.1 extra\r\n\r\n") == 400);
  CHECK(refused("GET http://h/ HTTP/1.1\r\nNo colon\r\n\r\n") == 400);
  CHECK(refused("GET http://h/ HTTP/1.1\r\n Folded: x\r\n\r\n") == 400);
  CHECK(refused("POST http://h/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n") == 400);
  CHECK(refused("POST http://h/ HTTP/1.1\r\nContent-Length: 3\r\n"
                "Transfer-Encoding: chunked\r\n\r\n")
        == 400); // ambiguous framing
  CHECK(refused(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\n\n", 11)) == 400); // TLS
}

TEST_CASE("proxy head: more than 16 KiB is refused with 431, ended or not") {
  std::string line = "GET http://h/ HTTP/1.1\r\n";
  std::string big = line + "X-Big: " + std::string(max_proxy_head, 'a');
  CHECK(refused(big) == 431);                     // no end in sight
  CHECK(refused(big + "\r\n\r\n") == 431);         // ends past the limit
  std::string many = line;
  while (many.size() < max_proxy_head)
    many += "X: y\r\n";
  CHECK(refused(many + "\r\n") == 431);
  // just below the limit is fine
  std::string fits = line + "X-Big: ";
  fits += std::string(max_proxy_head - fits.size() - 4, 'a') + "\r\n\r\n";
  REQUIRE(fits.size() == max_proxy_head);
  CHECK(parsed(fits).consumed == max_proxy_head);
  // a smaller limit for the same head
  proxy_failure why;
  CHECK_FALSE(parse_proxy_head("GET http://h/ HTTP/1.1\r\n\r\n", 10, &why));
  CHECK(why.status == 431);
}

TEST_CASE("proxy head: error answers and SOCKS reply codes as HTTP statuses") {
  CHECK(proxy_error_answer(502, "no route\r\n")
        == "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Length: 11\r\nConnection: close\r\n\r\nno route  \n");
  CHECK(proxy_error_answer(400, "x").starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(proxy_error_answer(504, "x").starts_with("HTTP/1.1 504 Gateway Timeout\r\n"));
  CHECK(proxy_status_for(socks5::reply_code::connection_refused) == 502);
  CHECK(proxy_status_for(socks5::reply_code::host_unreachable) == 502);
  CHECK(proxy_status_for(socks5::reply_code::network_unreachable) == 502);
  CHECK(proxy_status_for(socks5::reply_code::general_failure) == 502);
  CHECK(proxy_status_for(socks5::reply_code::address_type_not_supported) == 502);
  CHECK(proxy_status_for(socks5::reply_code::not_allowed) == 403);
  CHECK(proxy_status_for(socks5::reply_code::ttl_expired) == 504);
  CHECK(connect_established == "HTTP/1.1 200 Connection established\r\n\r\n");
}
