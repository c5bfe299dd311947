#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "runtime/http/client.hpp"
#include "runtime/http/error.hpp"
#include "runtime/http/parse.hpp"
#include "runtime/http/router.hpp"
#include "runtime/http/server.hpp"
#include "runtime/http/stream_exchange.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/raw_conn.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using test::raw_conn;
using test::status_of;

namespace {

http::router test_routes() {
  http::router r;
  r.get("/hello/{name}", [](http::request req, http::responder res) {
    res.send(http::make_response(200, "hi " + std::string{req.param("name")}, "text/plain"));
  });
  r.post("/echo", [](http::request req, http::responder res) {
    res.send(http::make_response(200, req.body, "text/plain"));
  }, {.body_limit = 1024});
  r.get("/later", [](http::request, http::responder res) {
    std::thread{[res] {
      std::this_thread::sleep_for(50ms); // under test: an answer that comes after the handler
      res.send(http::make_response(200, "later", "text/plain"));
    }}.detach();
  });
  r.get("/never", [](http::request, http::responder res) {
    // under test: keeps the responder alive past the handler timeout
    std::thread{[res] { std::this_thread::sleep_for(1500ms); }}.detach();
  });
  r.get("/drop", [](http::request, http::responder) {});
  r.get("/query", [](http::request req, http::responder res) {
    res.send(http::make_response(200, req.query_param("x").value_or("none"), "text/plain"));
  });
  return r;
}

http::server_config test_config() {
  http::server_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = 0;
  cfg.read_timeout = 1500ms;
  cfg.write_timeout = 1500ms;
  cfg.handler_timeout = 1000ms;
  cfg.max_connections = 8;
  return cfg;
}

http::client_request get(uint16_t port, std::string target) {
  http::client_request r;
  r.port = port;
  r.target = std::move(target);
  r.timeout = 3s;
  return r;
}

} // namespace

TEST_CASE("router: params, 404, 405 with Allow, trailing slash significant") {
  http::router r;
  int hit = 0;
  r.get("/a/{x}/b", [&](http::request, http::responder) { hit = 1; });
  r.post("/a/{x}/b", [&](http::request, http::responder) { hit = 2; });
  r.post("/entry/", [&](http::request, http::responder) { hit = 3; });
  auto m = r.find(http::verb::get, "/a/42/b");
  REQUIRE(m.result == http::router::outcome::found);
  REQUIRE(m.params.size() == 1);
  CHECK(m.params[0].first == "x");
  CHECK(m.params[0].second == "42");
  CHECK(r.find(http::verb::get, "/a//b").result == http::router::outcome::not_found);
  CHECK(r.find(http::verb::get, "/a/1/b/").result == http::router::outcome::not_found);
  auto d = r.find(http::verb::delete_, "/a/1/b");
  CHECK(d.result == http::router::outcome::method_not_allowed);
  CHECK(d.allow == "GET, POST");
  CHECK(r.find(http::verb::post, "/entry/").result == http::router::outcome::found);
  CHECK(r.find(http::verb::post, "/entry").result == http::router::outcome::not_found);
}

TEST_CASE("parse_request: limits map to 431/413/400") {
  http::parse_limits lim{.header_limit = 256, .body_limit = 16};
  http::parse_failure f;
  auto ok = http::parse_request("GET /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n", lim, nullptr, &f);
  REQUIRE(ok);
  CHECK(ok->path == "/x");
  CHECK(ok->query_param("y") == "1");
  auto big_header = "GET / HTTP/1.1\r\nX: " + std::string(400, 'a') + "\r\n\r\n";
  CHECK_FALSE(http::parse_request(big_header, lim, nullptr, &f));
  CHECK(f.status == 431);
  CHECK_FALSE(http::parse_request("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n"
                                  + std::string(17, 'b'), lim, nullptr, &f));
  CHECK(f.status == 413);
  CHECK_FALSE(http::parse_request("\x01\x02 garbage\r\n\r\n", lim, nullptr, &f));
  CHECK(f.status == 400);
  CHECK_FALSE(http::parse_request("GET / HTTP/1.1\r\nHost: a\r\n", lim, nullptr, &f));
}

TEST_CASE("server: routing, 404, 405, query, POST body, async responder") {
  io::io_runtime io{2};
  http::server srv{io, test_config(), test_routes()};
  auto port = srv.start();
  REQUIRE(port);
  REQUIRE(*port != 0);

  auto r = http::request_sync(get(*port, "/hello/world"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "hi world");

  r = http::request_sync(get(*port, "/nope"));
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->body == R"({"message":"not found","code":404})");

  auto del = get(*port, "/hello/world");
  del.method = http::verb::delete_;
  r = http::request_sync(del);
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->header("Allow") == "GET");

  r = http::request_sync(get(*port, "/query?a=b&x=7"));
  REQUIRE(r);
  CHECK(r->body == "7");

  auto post = get(*port, "/echo");
  post.method = http::verb::post;
  post.body = "payload";
  r = http::request_sync(post);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "payload");

  r = http::request_sync(get(*port, "/later"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "later");

  r = http::request_sync(get(*port, "/never"));
  REQUIRE(r);
  CHECK(r->status == 504);

  r = http::request_sync(get(*port, "/drop"));
  REQUIRE(r);
  CHECK(r->status == 500);
  srv.stop();
}

TEST_CASE("server: keep-alive serves several requests on one connection") {
  io::io_runtime io{1};
  http::server srv{io, test_config(), test_routes()};
  auto port = srv.start();
  REQUIRE(port);
  raw_conn c{*port};
  for (int i = 0; i < 3; ++i) {
    c.send("GET /hello/k" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto resp = c.read_response();
    CHECK(status_of(resp) == 200);
    CHECK(resp.find("hi k" + std::to_string(i)) != std::string::npos);
  }
  // pipelined: two requests in one write, answered in order
  c.send("GET /hello/p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/p2 HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(c.read_response().find("hi p1") != std::string::npos);
  CHECK(c.read_response().find("hi p2") != std::string::npos);
  // Connection: close is honoured
  c.send("GET /hello/z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(status_of(c.read_response()) == 200);
  CHECK(c.closed_by_peer());
  CHECK(srv.stats().requests == 6);
}

TEST_CASE("server: oversized header 431 and body 413 drop only that connection") {
  io::io_runtime io{2};
  http::server srv{io, test_config(), test_routes()};
  auto port = srv.start();
  REQUIRE(port);
  raw_conn good{*port};
  good.send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(status_of(good.read_response()) == 200);

  raw_conn big{*port};
  big.send("GET /hello/b HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
  auto resp = big.read_response();
  CHECK(status_of(resp) == 431);
  CHECK(big.closed_by_peer());

  raw_conn body{*port};
  body.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n");
  CHECK(status_of(body.read_response()) == 413);
  CHECK(body.closed_by_peer());

  raw_conn chunked{*port};
  std::string chunk(1500, 'c');
  chunked.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5dc\r\n" + chunk
               + "\r\n0\r\n\r\n");
  CHECK(status_of(chunked.read_response()) == 413);

  raw_conn junk{*port};
  junk.send("\x16\x03\x01 not http at all\r\n\r\n");
  CHECK(status_of(junk.read_response()) == 400);

  // the first connection is untouched
  good.send("GET /hello/again HTTP/1.1\r\nHost: x\r\n\r\n");
  auto again = good.read_response();
  CHECK(status_of(again) == 200);
  CHECK(again.find("hi again") != std::string::npos);
}

TEST_CASE("server: idle and slow connections time out, connection cap answers 503") {
  io::io_runtime io{1};
  auto cfg = test_config();
  cfg.read_timeout = 300ms;
  cfg.max_connections = 2;
  http::server srv{io, cfg, test_routes()};
  auto port = srv.start();
  REQUIRE(port);
  {
    raw_conn slow{*port};
    slow.send("GET /hello/x HTTP/1.1\r\n"); // never finishes the header
    auto t0 = std::chrono::steady_clock::now();
    CHECK(slow.closed_by_peer());
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  }
  // wait until the slow connection is gone, then until both new ones count
  auto wait_active = [&](uint64_t n) {
    auto until = std::chrono::steady_clock::now() + 5s;
    while (srv.stats().active_connections != n && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();
    return srv.stats().active_connections == n;
  };
  REQUIRE(wait_active(0));
  // Two connections being served (their handler never answers): neither can
  // be evicted, so a third gets 503.
  raw_conn a{*port, 3000}, b{*port, 3000};
  a.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
  b.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
  auto until = std::chrono::steady_clock::now() + 5s;
  while (srv.stats().requests < 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  REQUIRE(srv.stats().requests == 2);
  raw_conn c{*port, 3000};
  auto refused = c.read_response();
  CHECK(status_of(refused) == 503);
  CHECK(refused.find("admission: budget") != std::string::npos);
  CHECK(srv.stats().connections_rejected >= 1);
  auto m = srv.metrics_text("test_");
  CHECK(m.find("test_http_connections_rejected_total 1") != std::string::npos);
  CHECK(m.find("test_http_admission_refused_total{reason=\"budget\"} 1") != std::string::npos);
}

TEST_CASE("server: idle connections give way to a newcomer from a lighter source") {
  io::io_runtime io{1};
  auto cfg = test_config();
  cfg.read_timeout = 10s; // nothing times out during the test
  cfg.max_connections = 4;
  cfg.max_connections_per_ip = 2;
  http::server srv{io, cfg, test_routes()};
  auto port = srv.start();
  REQUIRE(port);
  auto wait_active = [&](uint64_t n) {
    auto until = std::chrono::steady_clock::now() + 5s;
    while (srv.stats().active_connections != n && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();
    return srv.stats().active_connections == n;
  };
  // Four idle connections (never a byte) from two other loopback sources.
  std::vector<std::unique_ptr<raw_conn>> idle;
  for (const char* from : {"127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"})
    idle.push_back(std::make_unique<raw_conn>(*port, 3000, from));
  REQUIRE(wait_active(4));
  // A third from 127.0.0.2 pushes out that address's oldest.
  idle.push_back(std::make_unique<raw_conn>(*port, 3000, "127.0.0.2"));
  CHECK(idle[0]->closed_by_peer());
  CHECK(srv.admission().counter(io::refusal::evicted) == 1);
  // The budget is full of idle connections: an honest request still gets in.
  for (int i = 0; i < 3; ++i) {
    raw_conn honest{*port, 3000};
    honest.send("GET /hello/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto r = honest.read_response();
    CHECK(status_of(r) == 200);
  }
  CHECK(srv.stats().connections_evicted >= 2);
  CHECK(srv.stats().connections_rejected == 0);
}

TEST_CASE("client: timeout, response limit, refused, URL parsing") {
  io::io_runtime io{1};
  // a listener that accepts and never answers
  asio::io_context raw;
  tcp::acceptor silent{raw, {asio::ip::make_address("127.0.0.1"), 0}};
  auto silent_port = silent.local_endpoint().port();
  auto req = get(silent_port, "/");
  req.timeout = 300ms;
  auto t0 = std::chrono::steady_clock::now();
  auto r = http::request_sync(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().category() == http::http_category());
  CHECK(r.error().code() == static_cast<uint8_t>(http::http_errc::timeout));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);

  // async form delivers the same outcome through the callback
  auto code = std::make_shared<std::promise<int>>();
  auto answered = code->get_future();
  http::async_request(io, req, [code](expected<http::response> res) {
    code->set_value(res ? 0 : res.error().code());
  });
  REQUIRE(answered.wait_for(2s) == std::future_status::ready);
  CHECK(answered.get() == static_cast<int>(http::http_errc::timeout));

  http::router big;
  big.get("/big", [](http::request, http::responder res) {
    res.send(http::make_response(200, std::string(10000, 'x'), "text/plain"));
  });
  http::server srv{io, test_config(), std::move(big)};
  auto port = srv.start();
  REQUIRE(port);
  auto breq = get(*port, "/big");
  breq.response_limit = 1000;
  r = http::request_sync(breq);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == static_cast<uint8_t>(http::http_errc::too_large));
  breq.response_limit = 20000;
  r = http::request_sync(breq);
  REQUIRE(r);
  CHECK(r->body.size() == 10000);

  silent.close();
  r = http::request_sync(get(silent_port, "/"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == static_cast<uint8_t>(http::http_errc::connect_failed));

  auto u = http::parse_url("http://127.0.0.1:9090/dmsg-discovery/entries?x=1");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 9090);
  CHECK(u->target == "/dmsg-discovery/entries?x=1");
  u = http::parse_url("http://[::1]:81");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->target == "/");
  CHECK_FALSE(http::parse_url("https://x"));
  CHECK_FALSE(http::parse_url("http://x:99999/"));
  CHECK_FALSE(http::parse_url("http://:80/"));
  // dmsghttp URLs parse (port 80 by default); plain TCP refuses them in words
  u = http::parse_url("dmsg://02ab:8080/health");
  REQUIRE(u);
  CHECK(u->scheme == "dmsg");
  CHECK(u->host == "02ab");
  CHECK(u->port == 8080);
  CHECK(u->target == "/health");
  u = http::parse_url("dmsg://03cd");
  REQUIRE(u);
  CHECK(u->port == 80);
  CHECK(http::parse_url("http://x")->scheme == "http");
  auto dreq = http::make_client_request(http::verb::get, "dmsg://03cd:80/x");
  REQUIRE(dreq);
  CHECK(dreq->scheme == "dmsg");
  auto refused = http::request_sync(*dreq);
  REQUIRE_FALSE(refused);
  CHECK(describe(refused.error()).find("needs a dmsg client") != std::string::npos);
}

TEST_CASE("listen addresses as the Go services write them") {
  auto a = http::parse_listen_address(":9090");
  REQUIRE(a);
  CHECK(a->host.empty());
  CHECK(a->port == 9090);
  a = http::parse_listen_address("127.0.0.1:0");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 0);
  a = http::parse_listen_address("[::1]:8081");
  REQUIRE(a);
  CHECK(a->host == "::1");
  CHECK_FALSE(http::parse_listen_address("9090"));
  CHECK_FALSE(http::parse_listen_address("::1:80"));
  CHECK_FALSE(http::parse_listen_address("a:65536"));
  CHECK_FALSE(http::parse_listen_address("a:"));
  CHECK_FALSE(http::parse_listen_address("a:8x"));
}

namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

/// What a server hands an external peer: the response bytes, then close.
struct ext_peer_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::string written;
  bool closed = false;

  http::external_peer peer(std::string source, std::string remote = "02ab:49152") {
    http::external_peer p;
    p.source = std::move(source);
    p.remote = std::move(remote);
    p.write = [this](std::string b) {
      std::lock_guard<std::mutex> g{mtx};
      written += b;
    };
    p.close = [this] {
      std::lock_guard<std::mutex> g{mtx};
      closed = true;
      cv.notify_all();
    };
    return p;
  }
  bool wait_closed(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> g{mtx};
    return cv.wait_for(g, limit, [&] { return closed; });
  }
  std::string text() {
    std::lock_guard<std::mutex> g{mtx};
    return written;
  }
};

} // namespace

TEST_CASE("stream exchange: request bytes, response read from pieces, limits, early end") {
  http::client_request req;
  req.method = http::verb::post;
  req.host = "02ab";
  req.port = 80;
  req.target = "/transports/";
  req.body = "[1]";
  req.headers.emplace_back("SW-Nonce", "7");
  auto text = http::serialize_request(req);
  CHECK(text.find("POST /transports/ HTTP/1.1\r\n") == 0);
  CHECK(text.find("Host: 02ab:80\r\n") != std::string::npos);
  CHECK(text.find("Connection: close\r\n") != std::string::npos);
  CHECK(text.find("SW-Nonce: 7\r\n") != std::string::npos);
  CHECK(text.find("Content-Length: 3\r\n\r\n[1]") != std::string::npos);
  auto parsed = http::parse_request(text, {});
  REQUIRE(parsed);
  CHECK(parsed->body == "[1]");

  // byte by byte, with Content-Length
  std::string resp = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                     "Content-Length: 5\r\n\r\nhello";
  http::response_reader rd{4096, 1024};
  for (size_t i = 0; i + 1 < resp.size(); ++i)
    CHECK(rd.feed(bytes_of(std::string_view{resp}.substr(i, 1)))
          == http::response_reader::state::need_more);
  REQUIRE(rd.feed(bytes_of(std::string_view{resp}.substr(resp.size() - 1)))
          == http::response_reader::state::done);
  auto r = rd.take();
  CHECK(r.status == 201);
  CHECK(r.body == "hello");
  CHECK(r.content_type == "application/json");

  // chunked, and a body that ends with the stream
  http::response_reader chunked{4096, 1024};
  CHECK(chunked.feed(bytes_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
        == http::response_reader::state::done);
  CHECK(chunked.take().body == "abc");
  http::response_reader eof{4096, 1024};
  CHECK(eof.feed(bytes_of("HTTP/1.1 200 OK\r\n\r\nuntil the end"))
        == http::response_reader::state::need_more);
  CHECK(eof.finish() == http::response_reader::state::done);
  CHECK(eof.take().body == "until the end");

  // limits, garbage, a cut stream: errors in words
  http::response_reader big{4096, 4};
  CHECK(big.feed(bytes_of(resp)) == http::response_reader::state::failed);
  CHECK(describe(big.error()).find("too_large") == 0);
  http::response_reader head{64, 1024};
  CHECK(head.feed(bytes_of("HTTP/1.1 200 OK\r\nX: " + std::string(200, 'a')))
        == http::response_reader::state::failed);
  http::response_reader junk{4096, 1024};
  CHECK(junk.feed(bytes_of("SSH-2.0-OpenSSH\r\n\r\n")) == http::response_reader::state::failed);
  CHECK(describe(junk.error()).find("protocol") == 0);
  http::response_reader cut{4096, 1024};
  CHECK(cut.feed(bytes_of("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"))
        == http::response_reader::state::need_more);
  CHECK(cut.finish() == http::response_reader::state::failed);
  CHECK(describe(cut.error()).find("closed") == 0);
}

TEST_CASE("server: external connections get the same routes, limits, deadlines, admission") {
  io::io_runtime io{2};
  auto cfg = test_config();
  cfg.max_connections_per_ip = 1;
  cfg.read_timeout = 400ms;
  cfg.min_header_timeout = 400ms;
  http::server srv{io, cfg, test_routes()};

  // a request in pieces, answered through the same router; remote as given
  ext_peer_log a;
  auto ca = srv.attach(a.peer("pk-a"));
  REQUIRE(ca);
  ca->feed(bytes_of("GET /hello/ext HT"));
  ca->feed(bytes_of("TP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(a.wait_closed(3s));
  CHECK(a.text().find("HTTP/1.1 200 OK\r\n") == 0);
  CHECK(a.text().find("Connection: close") != std::string::npos);
  CHECK(a.text().find("hi ext") != std::string::npos);

  // the route's body limit: 413 before the body is read
  ext_peer_log b;
  auto cb = srv.attach(b.peer("pk-b"));
  REQUIRE(cb);
  cb->feed(bytes_of("POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n"));
  REQUIRE(b.wait_closed(3s));
  CHECK(b.text().find("HTTP/1.1 413") == 0);

  // no request head within the deadline: closed without an answer
  ext_peer_log idle;
  auto ci = srv.attach(idle.peer("pk-idle"));
  REQUIRE(ci);
  REQUIRE(idle.wait_closed(3s));
  CHECK(idle.text().empty());

  // admission per source: a busy connection of pk-c is never pushed out, so
  // a second one of pk-c is refused with a 503; other sources get in
  ext_peer_log busy;
  auto cbusy = srv.attach(busy.peer("pk-c"));
  REQUIRE(cbusy);
  auto dispatched = srv.stats().requests;
  cbusy->feed(bytes_of("GET /never HTTP/1.1\r\n\r\n"));
  // the head reached the server's strand and its handler runs: pk-c is busy
  REQUIRE(skywire::test::eventually([&] { return srv.stats().requests > dispatched; }, 3s));
  ext_peer_log second;
  CHECK_FALSE(srv.attach(second.peer("pk-c")));
  CHECK(second.closed);
  CHECK(second.text().find("HTTP/1.1 503") == 0);
  CHECK(second.text().find("admission") != std::string::npos);
  ext_peer_log other;
  auto co = srv.attach(other.peer("pk-d"));
  REQUIRE(co);
  co->feed(bytes_of("GET /query?x=1 HTTP/1.1\r\n\r\n"));
  REQUIRE(other.wait_closed(3s));
  CHECK(other.text().find("\r\n\r\n1") != std::string::npos);
  // the busy one ends at the handler deadline: 504
  REQUIRE(busy.wait_closed(3s));
  CHECK(busy.text().find("HTTP/1.1 504") == 0);

  // a peer that goes away is not closed by the server again
  ext_peer_log gone;
  auto cg = srv.attach(gone.peer("pk-e"));
  REQUIRE(cg);
  cg->peer_closed();
  // under test: that nothing happens (no event to wait for), so a short look
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(gone.closed);
  CHECK(srv.stats().connections_rejected == 1);
  srv.stop();
  ext_peer_log late;
  CHECK_FALSE(srv.attach(late.peer("pk-f")));
  CHECK(late.text().find("503") != std::string::npos);
}
