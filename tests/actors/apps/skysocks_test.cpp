// skysocks and skysocks-client as apps of one process over a real route
// group pair (Noise KK, reference framing) joined in memory on an io shard
// (skysocks_support.hpp): curl through the client's listener fetches a
// 64 MiB file from python's http.server in 32 parallel parts, SHA-256
// checked; curl's SOCKS5 cases (IPv4, IPv6, a name resolved at the server,
// a refused connect, wrong and right credentials with a passcode). Needs
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
