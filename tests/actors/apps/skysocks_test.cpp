// skysocks and skysocks-client as apps of one process over a real route
// group pair (Noise KK, reference framing) joined in memory on an io shard
// (skysocks_support.hpp): curl through the client's listener fetches a
// 64 MiB file from python's http.server in 32 parallel parts, SHA-256
// checked; curl's SOCKS5 cases (IPv4, IPv6, a name resolved at the server,
// a refused connect, wrong and right credentials with a passcode); the
// early CONNECT reply in raw SOCKS bytes (actors/apps/socks_connect.hpp). Needs
// curl and python3 (the test says so and fails under CI=true without them).
#include "tests/actors/apps/skysocks_support.hpp"

using namespace skysocks_test;

TEST_CASE_FIXTURE(fixture, "skysocks: 64 MiB in 32 parallel connections through the route, SHA-256 verified") {
  if (!tools_present())
    return;
  constexpr size_t total = 64 * 1024 * 1024;
  constexpr int parts = 32;
  auto want = serve_parts(total, parts);
  start();
  CHECK(fetch_parts({"-x", proxy("socks5h")}, "localhost", total, parts) == want);
}

TEST_CASE_FIXTURE(fixture, "skysocks: curl's SOCKS5 cases without a passcode") {
  if (!tools_present())
    return;
  serve_hello("hello through skysocks\n");
  auto port = std::to_string(http.port);
  auto get = [&](const std::string& px, const std::string& url) {
    return test::run({"curl", "-sS", "--max-time", "20", "-x", px, url}, 30s);
  };
  SUBCASE("IPv4 address") {
    auto r = get(proxy("socks5"), "http://127.0.0.1:" + port + "/hello.txt");
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "hello through skysocks\n");
  }
  SUBCASE("IPv6 address") {
    auto r = get(proxy("socks5"), "http://[::1]:" + port + "/hello.txt");
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "hello through skysocks\n");
  }
  SUBCASE("domain name, resolved at the server") {
    auto r = get(proxy("socks5h"), "http://localhost:" + port + "/hello.txt");
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "hello through skysocks\n");
  }
  SUBCASE("refused connect: reply 5") {
    closed_port closed;
    auto r = get(proxy("socks5"), "http://127.0.0.1:" + std::to_string(closed.port) + "/");
    INFO(r.err);
    CHECK(r.code == 97); // CURLE_PROXY
    CHECK(r.err.find("(5)") != std::string::npos); // reply 5: connection refused
  }
  SUBCASE("credentials offered to a server without a passcode: refused by method") {
    auto r = test::run({"curl", "-sS", "--max-time", "20", "--socks5-basic", "-x",
                        proxy("socks5", "u:p"), "http://127.0.0.1:" + port + "/hello.txt"},
                       30s);
    // curl offers no-auth too: the server picks it
    CHECK(r.code == 0);
  }
}

TEST_CASE_FIXTURE(fixture, "skysocks: with a passcode, wrong credentials are refused, either field may carry it") {
  if (!tools_present())
    return;
  serve_hello("secret\n", "s3cret");
  auto url = "http://127.0.0.1:" + std::to_string(http.port) + "/hello.txt";
  auto get = [&](const std::string& cred) {
    return test::run({"curl", "-sS", "--max-time", "20", "-x", proxy("socks5", cred), url}, 30s);
  };
  auto bad = get("alice:wrong");
  INFO(bad.err);
  CHECK(bad.code == 97);
  CHECK(bad.err.find("rejected") != std::string::npos);
  auto none = get("");
  CHECK(none.code == 97); // no acceptable method
  auto user = get("s3cret:whatever");
  CHECK(user.code == 0);
  CHECK(user.out == "secret\n");
  auto pass = get("whoever:s3cret");
  CHECK(pass.code == 0);
  CHECK(pass.out == "secret\n");
}

TEST_CASE_FIXTURE(fixture, "skysocks: a CONNECT to a target the server connected is answered at once; a failure since resets the connection") {
  if (!tools_present())
    return;
  serve_hello("answered early\n");
  const std::string get = "GET /hello.txt HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  // greeting (no authentication), then a CONNECT to 127.0.0.1:port: the
  // reply code the application got
  auto connect = [&](raw_socks& s, uint16_t port) -> int {
    s.send({5, 1, 0});
    CHECK(s.read(2) == std::vector<uint8_t>{5, 0});
    s.send(connect_v4(port));
    auto r = s.read(10);
    REQUIRE(r.size() == 10);
    CHECK(r[0] == 5);
    return r[1];
  };
  // the first connection goes the long way, the next ones are answered by
  // the client; what reaches the application is the same: one greeting's
  // answer, one reply, then the target's bytes and nothing of the server's
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    raw_socks s{socks_port};
    CHECK(connect(s, http.port) == 0);
    s.send({get.begin(), get.end()});
    auto resp = s.read_to_end();
    CHECK(s.error == 0);
    CHECK(resp.starts_with("HTTP/1.0 200 OK\r\n"));
    CHECK(resp.ends_with("\r\n\r\nanswered early\n"));
  }

  // a target that accepted, then stops accepting (its port held meanwhile)
  asio::io_context io;
  auto target = std::make_unique<asio::ip::tcp::acceptor>(
    io, asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0});
  auto tport = target->local_endpoint().port();
  {
    raw_socks s{socks_port};
    CHECK(connect(s, tport) == 0); // connected (the kernel took it into the backlog): learned
  }
  target.reset();
  closed_port refusing{tport};
  {
    // answered at once with a success no server could give now, then reset
    // once the server's reply 5 comes
    raw_socks s{socks_port};
    CHECK(connect(s, tport) == 0);
    CHECK(s.read(1).empty());
    CHECK(s.error == ECONNRESET);
  }
  {
    // forgotten: the long way again, and the server's own reply code
    raw_socks s{socks_port};
    CHECK(connect(s, tport) == 5); // connection refused
  }
}

TEST_CASE_FIXTURE(fixture, "skysocks: a request with kilobytes of payload behind it in one piece is served") {
  if (!tools_present())
    return;
  // what a client that does not wait for the reply sends (and what an early
  // answer lets through): the server's handshake takes the bytes after the
  // request as the target's, whatever their size
  serve_hello("not a handshake\n");
  std::string get = "GET /hello.txt HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Pad: " + std::string(3000, 'p')
                    + "\r\n\r\n";
  raw_socks s{socks_port};
  s.send({5, 1, 0});
  CHECK(s.read(2) == std::vector<uint8_t>{5, 0});
  auto request = connect_v4(http.port);
  std::vector<uint8_t> both(request.size() + get.size());
  std::copy(request.begin(), request.end(), both.begin());
  std::copy(get.begin(), get.end(), both.begin() + static_cast<std::ptrdiff_t>(request.size()));
  s.send(both); // one read for the client, one frame for the server
  auto r = s.read(10);
  REQUIRE(r.size() == 10);
  CHECK(r[1] == 0);
  auto resp = s.read_to_end();
  CHECK(resp.starts_with("HTTP/1.0 200 OK\r\n"));
  CHECK(resp.ends_with("\r\n\r\nnot a handshake\n"));
}
