// End to end, real processes on loopback: `skywire dmsg local` (discovery +
// server), `skywire dmsg http` serving a directory, `skywire dmsg curl`
// fetching a 64 MiB file (SHA-256 compared) and `curl --socks5-hostname`
// through `skywire dmsg web`. Every process is killed by PID on any failure.
#include <doctest/doctest.h>

#include <signal.h>

#include <cstring>
#include <fstream>
#include <regex>

#include <boost/json.hpp>

#include "runtime/crypto/hash.hpp"
#include "tests/support/process.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using skywire::test::process;

namespace {

const std::string binary = SKYWIRE_BINARY;

std::vector<uint8_t> pseudo_random(size_t n, uint64_t seed) {
  std::vector<uint8_t> out(n);
  uint64_t x = seed;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(out.data() + i, &x, 8);
  }
  return out;
}

std::string match(const std::string& text, const std::string& re) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex{re}))
    return m[1];
  return {};
}

bool have_curl() {
  return skywire::test::run({"curl", "--version"}, 10s).code == 0;
}

} // namespace

TEST_CASE("dmsg http and dmsg curl move 64 MiB intact, curl through dmsg web fetches a page") {
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  auto www = tmp.path / "www";
  fs::create_directories(www);
  const std::string page = "<html><body>hello over dmsg</body></html>\n";
  std::ofstream(www / "index.html") << page;
  auto big = pseudo_random(64u << 20, 0x5eed);
  {
    std::ofstream out(www / "big.bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(big.data()), static_cast<std::streamsize>(big.size()));
  }
  auto big_hash = skywire::crypto::sha256(big);
  big.clear();
  big.shrink_to_fit();

  // the control plane: discovery (test mode) + one dmsg server
  process local;
  auto info_file = tmp.path / "local.json";
  REQUIRE(skywire::test::spawn(local,
                               {binary, "dmsg", "local", "--info-file", info_file.string()},
                               tmp.path / "local.log"));
  auto info_text = skywire::test::wait_for_file(info_file, 30s);
  REQUIRE_MESSAGE(info_text, skywire::test::read_text(tmp.path / "local.log"));
  auto info = boost::json::parse(*info_text).as_object();
  std::string disc = info.at("discovery").as_string().c_str();
  REQUIRE(info.at("servers").as_array().size() == 1);

  // the file server
  process http;
  auto http_log = tmp.path / "http.log";
  REQUIRE(skywire::test::spawn(http, {binary, "dmsg", "http", "-d", www.string(), "-D", disc},
                               http_log));
  REQUIRE_MESSAGE(skywire::test::wait_for_text(http_log, "serving", 30s),
                  skywire::test::read_text(http_log));
  auto pk = match(skywire::test::read_text(http_log), "dmsg://([0-9a-f]{66}):80/");
  REQUIRE(pk.size() == 66);

  { // dmsg curl downloads 64 MiB and the SHA-256 matches
    auto out = tmp.path / "big.out";
    auto r = skywire::test::run({binary, "dmsg", "curl", "-q", "-D", disc, "-o", out.string(),
                                 "dmsg://" + pk + ":80/big.bin"},
                                120s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.code == 0);
    std::ifstream in(out, std::ios::binary);
    std::vector<uint8_t> got((std::istreambuf_iterator<char>(in)), {});
    CHECK(got.size() == (64u << 20));
    CHECK(skywire::crypto::sha256(got) == big_hash);
  }

  { // dmsg curl: 404 with --fail exits 22, a bad URL exits 3
    auto r = skywire::test::run({binary, "dmsg", "curl", "-q", "-f", "-D", disc,
                                 "dmsg://" + pk + ":80/missing.txt"},
                                60s);
    CHECK(r.code == 22);
    r = skywire::test::run({binary, "dmsg", "curl", "-D", disc, "http://example/"}, 30s);
    CHECK(r.code == 3);
  }

  [&] { // curl --socks5-hostname through dmsg web
    if (!have_curl()) {
      if (std::getenv("CI"))
        FAIL("curl is required in CI (scripts/install-deps.sh installs it)");
      MESSAGE("skipped: curl is not installed");
      return;
    }
    process web;
    auto web_log = tmp.path / "web.log";
    REQUIRE(skywire::test::spawn(web, {binary, "dmsg", "web", "-q", "0", "-D", disc}, web_log));
    REQUIRE_MESSAGE(skywire::test::wait_for_text(web_log, "SOCKS5 on", 30s),
                    skywire::test::read_text(web_log));
    auto port = match(skywire::test::read_text(web_log), "SOCKS5 on 127\\.0\\.0\\.1:([0-9]+)");
    REQUIRE(!port.empty());
    auto r = skywire::test::run({"curl", "-sS", "--max-time", "30", "--socks5-hostname",
                                 "127.0.0.1:" + port, "http://" + pk + ".dmsg/index.html"},
                                40s);
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == page);
    // names outside .dmsg are refused by the proxy itself (never dialed)
    r = skywire::test::run({"curl", "-sS", "--max-time", "10", "--socks5-hostname",
                            "127.0.0.1:" + port, "http://not-a-dmsg-name.invalid/"},
                           20s);
    CHECK(r.code != 0);
    CHECK(web.stop(SIGTERM, 10s));
  }();

  CHECK(http.stop(SIGTERM, 10s));
  CHECK(local.stop(SIGTERM, 10s));
  CHECK(local.exit_code() == 0);
}
