// End to end, real processes on loopback: `skywire dmsg local` (discovery +
// server), `skywire dmsg http` serving a directory, `skywire dmsg curl`
// fetching a 64 MiB file (SHA-256 compared), directory listings with odd
// names, curl's exit codes and -o keeping a good file when a fetch fails
// (`dmsg web srv` in front of a listener that stalls or cuts its reply), and
// `curl --socks5-hostname` through `skywire dmsg web`. Every process is
// killed by PID on any failure.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <thread>

#include <boost/json.hpp>

#include "runtime/crypto/hash.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using skywire::test::have_curl;
using skywire::test::match;
using skywire::test::process;
using skywire::test::pseudo_random;

namespace {

const std::string binary = SKYWIRE_BINARY;


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

  { // dmsg http listings percent-encode their hrefs; the href fetches the file
    const std::string odd = "a b?c#d%e&f.txt";
    fs::create_directories(www / "odd dir");
    std::ofstream(www / "odd dir" / odd) << "odd name\n";
    auto r = skywire::test::run({binary, "dmsg", "curl", "-q", "-D", disc,
                                 "dmsg://" + pk + ":80/odd%20dir/"},
                                60s);
    INFO(r.err);
    REQUIRE(r.code == 0);
    const std::string href = "/odd%20dir/a%20b%3Fc%23d%25e%26f.txt";
    CHECK(r.out.find("<a href=\"" + href + "\">a b?c#d%e&amp;f.txt</a>") != std::string::npos);
    r = skywire::test::run({binary, "dmsg", "curl", "-q", "-D", disc,
                            "dmsg://" + pk + ":80" + href},
                           60s);
    CHECK(r.code == 0);
    CHECK(r.out == "odd name\n");
  }

  { // curl's exit codes; a failed fetch leaves a good -o FILE as it was
    auto dl = tmp.path / "dl";
    fs::create_directories(dl);
    auto good = dl / "good.txt";
    std::ofstream(good) << "good copy\n";
    auto keys = skywire::test::run({binary, "cli", "config", "gen-keys"}, 30s);
    REQUIRE(keys.code == 0);
    auto nobody = keys.out.substr(0, 66); // a valid key nobody registered
    auto fetch = [&](const std::string& url, std::vector<std::string> extra = {}) {
      std::vector<std::string> args{binary, "dmsg", "curl", "-q", "-D", disc, "-o",
                                    good.string()};
      args.insert(args.end(), extra.begin(), extra.end());
      args.push_back(url);
      return skywire::test::run(std::move(args), 60s);
    };
    auto unchanged = [&] {
      CHECK(skywire::test::read_text(good) == "good copy\n");
      size_t files = 0;
      for (auto& e : fs::directory_iterator(dl)) {
        (void)e;
        ++files;
      }
      CHECK(files == 1); // no temporary file left behind
    };
    auto r = fetch("dmsg://" + nobody + ":80/x");
    CHECK(r.code == 6); // could not resolve: no such key in discovery
    CHECK(r.err.find("could not resolve") != std::string::npos);
    unchanged();
    r = fetch("dmsg://" + pk + ":81/x");
    CHECK(r.code == 7); // could not connect: nobody listens on port 81
    CHECK(r.err.find("could not connect") != std::string::npos);
    unchanged();
    r = fetch("dmsg://" + pk + ":80/missing.txt", {"-f"});
    CHECK(r.code == 22);
    unchanged();
    auto nodir = skywire::test::run({binary, "dmsg", "curl", "-q", "-D", disc, "-o",
                                     (dl / "no" / "such" / "dir").string(),
                                     "dmsg://" + pk + ":80/index.html"},
                                    30s);
    CHECK(nodir.code == 23);

    // 28 and 56 need a server that stalls / cuts its reply: `dmsg web srv`
    // in front of a local listener driven by this test
    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(lfd >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(lfd, 8) == 0);
    socklen_t sl = sizeof sa;
    REQUIRE(::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &sl) == 0);
    auto lport = std::to_string(ntohs(sa.sin_port));
    process srv;
    auto srv_log = tmp.path / "websrv.log";
    REQUIRE(skywire::test::spawn(srv, {binary, "dmsg", "web", "srv", "-d", "82", "-p", lport,
                                       "-D", disc},
                                 srv_log));
    REQUIRE_MESSAGE(skywire::test::wait_for_text(srv_log, "-> 127.0.0.1:", 30s),
                    skywire::test::read_text(srv_log));
    auto srv_pk = match(skywire::test::read_text(srv_log), "dmsg://([0-9a-f]{66}):82");
    REQUIRE(srv_pk.size() == 66);
    // accepts the first connection and never answers it; answers the second
    // with a cut response (Content-Length 100, 3 bytes) and closes
    std::thread peer([lfd] {
      std::vector<int> held;
      for (int i = 0; i < 2; ++i) {
        pollfd p{lfd, POLLIN, 0};
        if (::poll(&p, 1, 60000) <= 0)
          break;
        int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0)
          break;
        if (i == 0) {
          held.push_back(c);
          continue;
        }
        const std::string cut = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc";
        (void)!::write(c, cut.data(), cut.size());
        ::close(c);
      }
      for (int c : held)
        ::close(c);
    });
    r = fetch("dmsg://" + srv_pk + ":82/", {"-t", "1"});
    CHECK(r.code == 28); // timeout: no byte for 1 s
    CHECK(r.err.find("no data for 1000 ms") != std::string::npos);
    unchanged();
    r = fetch("dmsg://" + srv_pk + ":82/");
    INFO(r.err);
    INFO(skywire::test::read_text(srv_log));
    CHECK(r.code == 56); // receive failure after connecting
    CHECK(r.err.find("after 3 body bytes") != std::string::npos);
    unchanged();
    peer.join();
    ::close(lfd);
    CHECK(srv.stop(SIGTERM, 10s));

    // success replaces the file (through the same temp + rename)
    r = fetch("dmsg://" + pk + ":80/index.html");
    CHECK(r.code == 0);
    CHECK(skywire::test::read_text(good) == page);
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
