// skysocks-client's HTTP proxy (--http) over the same in-process route as
// skysocks_test.cpp: curl -x http://… fetches files from python's
// http.server through absolute-URI GETs and through CONNECT tunnels
// (--proxytunnel), in parallel connections, SHA-256 checked; the origin sees
// origin-form requests; a refused target is a 502, hostile heads get 400 or
// 431 and leave the proxy serving the others. Needs curl and python3.
#include "tests/actors/apps/skysocks_support.hpp"

#include "tests/support/raw_conn.hpp"

using namespace skysocks_test;

namespace {

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in{p};
  return {std::istreambuf_iterator<char>(in), {}};
}

struct http_fixture : fixture {
  std::string http_proxy() const { return "http://127.0.0.1:" + std::to_string(http_port); }

  test::run_result get(std::vector<std::string> extra, const std::string& url) const {
    std::vector<std::string> cmd{"curl", "-sS", "--max-time", "20", "-x", http_proxy()};
    cmd.insert(cmd.end(), extra.begin(), extra.end());
    cmd.push_back(url);
    return test::run(cmd, 30s);
  }
};

} // namespace

TEST_CASE_FIXTURE(http_fixture,
                  "skysocks-client --http: 32 MiB by absolute-URI GETs and by CONNECT tunnels, "
                  "16 parallel connections each, SHA-256 verified") {
  if (!tools_present())
    return;
  constexpr size_t total = 32 * 1024 * 1024;
  constexpr int parts = 16;
  auto want = serve_parts(total, parts);
  start({}, true);
  CHECK(fetch_parts({"-x", http_proxy()}, "localhost", total, parts) == want);
  CHECK(fetch_parts({"-x", http_proxy(), "--proxytunnel"}, "127.0.0.1", total, parts) == want);
  // the SOCKS5 listener next to it still works
  CHECK(fetch_parts({"-x", proxy("socks5h")}, "localhost", total, parts) == want);
}

TEST_CASE_FIXTURE(http_fixture, "skysocks-client --http: GET and CONNECT to IPv4, IPv6 and names") {
  if (!tools_present())
    return;
  serve_hello("hello through the http proxy\n", {}, true);
  auto port = std::to_string(http.port);
  for (const std::string host : {"127.0.0.1", "[::1]", "localhost"}) {
    auto url = "http://" + host + ":" + port + "/hello.txt";
    auto plain = get({}, url);
    INFO(host);
    INFO(plain.err);
    CHECK(plain.code == 0);
    CHECK(plain.out == "hello through the http proxy\n");
    auto tunnel = get({"--proxytunnel"}, url);
    INFO(tunnel.err);
    CHECK(tunnel.code == 0);
    CHECK(tunnel.out == "hello through the http proxy\n");
  }
  // the origin saw origin-form requests, never the proxy's absolute form
  auto log = file_text(dir.path / "http.log");
  CHECK(log.find("\"GET /hello.txt HTTP/1.1\" 200") != std::string::npos);
  CHECK(log.find("GET http://") == std::string::npos);
  // a request with a body, and the response headers as the origin sent them
  auto head = get({"-i", "-H", "Proxy-Authorization: Basic dTpw"}, "http://localhost:" + port + "/hello.txt");
  CHECK(head.code == 0);
  CHECK(head.out.starts_with("HTTP/1.0 200 OK\r\n"));
  auto post = get({"-d", "x=1"}, "http://localhost:" + port + "/hello.txt");
  CHECK(post.code == 0); // python's server answers 501 to POST: the exchange itself works
  CHECK(post.out.find("501") != std::string::npos);
}

TEST_CASE_FIXTURE(http_fixture, "skysocks-client --http: a refused target is a 502, plain or tunneled") {
  if (!tools_present())
    return;
  serve_hello("x\n", {}, true);
  closed_port refusing;
  auto closed = "http://127.0.0.1:" + std::to_string(refusing.port) + "/";
  auto plain = get({"-o", "/dev/null", "-w", "%{http_code}"}, closed);
  CHECK(plain.code == 0);
  CHECK(plain.out == "502");
  auto tunnel = get({"--proxytunnel"}, closed);
  INFO(tunnel.err);
  CHECK(tunnel.code == 56); // CURLE_RECV_ERROR: the CONNECT was answered 502
  CHECK(tunnel.err.find("502") != std::string::npos);
  // and the proxy goes on
  auto ok = get({}, "http://127.0.0.1:" + std::to_string(http.port) + "/hello.txt");
  CHECK(ok.code == 0);
  CHECK(ok.out == "x\n");
}

TEST_CASE_FIXTURE(http_fixture, "skysocks-client --http: hostile heads are answered and dropped") {
  if (!tools_present())
    return;
  serve_hello("still here\n", {}, true);
  auto answer = [&](std::string_view bytes) {
    test::raw_conn c{http_port, 10000};
    c.send(bytes);
    auto r = c.read_response();
    c.sock.shutdown(boost::asio::ip::tcp::socket::shutdown_send); // done, as curl closes
    CHECK(c.closed_by_peer());
    return r;
  };
  auto origin_form = answer("GET /hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CHECK(test::status_of(origin_form) == 400);
  CHECK(origin_form.find("Connection: close\r\n") != std::string::npos);
  CHECK(test::status_of(answer("GET https://localhost/ HTTP/1.1\r\n\r\n")) == 400);
  CHECK(test::status_of(answer("CONNECT localhost HTTP/1.1\r\n\r\n")) == 400);
  CHECK(test::status_of(answer("GET http://a b/ HTTP/1.1\r\n\r\n")) == 400);
  CHECK(test::status_of(answer("\x16\x03\x01\x02\x05hello\n\n")) == 400);
  CHECK(test::status_of(answer(std::string(20000, 'A'))) == 431);
  // a client that leaves mid-head costs nothing
  {
    test::raw_conn c{http_port};
    c.send("GET http://localhost/ HT");
  }
  auto ok = get({}, "http://localhost:" + std::to_string(http.port) + "/hello.txt");
  CHECK(ok.code == 0);
  CHECK(ok.out == "still here\n");
}
