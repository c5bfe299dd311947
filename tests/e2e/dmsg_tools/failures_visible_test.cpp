// End to end, real processes on loopback: failures are visible. `dmsg web`
// asked for a peer that does not exist writes one info line with the cause
// in words (and answers the SOCKS client "host unreachable"); when its dmsg
// server dies it logs the lost session once at info; `dmsg curl` to a peer
// that does not exist, or through a discovery that is down, exits with
// curl's code and says what failed in words, never a raw code ("system:4").
// Every process is started and stopped by PID; waits are on events (a line in
// a log, a reply on a socket), each bounded.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "tests/support/e2e_helpers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
using skywire::test::match;
using skywire::test::process;

namespace {

const std::string binary = SKYWIRE_BINARY;

size_t count_lines(const std::string& text, const std::vector<std::string>& needles) {
  std::istringstream in{text};
  size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const auto& s : needles)
      all = all && line.find(s) != std::string::npos;
    n += all ? 1 : 0;
  }
  return n;
}

// Reads exactly n bytes (bounded: 30 s without progress); empty on failure.
std::string read_n(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0)
      return {};
    char buf[64];
    auto got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (got <= 0)
      return {};
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

// A SOCKS5 CONNECT to host:port through 127.0.0.1:proxy_port; the reply code
// (0 succeeded, 4 host unreachable, ...) or -1.
int socks5_connect(uint16_t proxy_port, const std::string& host, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(proxy_port);
  int code = -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    std::string greet{"\x05\x01\x00", 3};
    std::string req{"\x05\x01\x00\x03", 4};
    req += static_cast<char>(host.size());
    req += host;
    req += static_cast<char>(port >> 8);
    req += static_cast<char>(port & 0xff);
    if (::send(fd, greet.data(), greet.size(), MSG_NOSIGNAL) == ssize_t(greet.size())
        && read_n(fd, 2) == std::string{"\x05\x00", 2}
        && ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == ssize_t(req.size())) {
      auto reply = read_n(fd, 10); // VER REP RSV ATYP(1) ADDR(4) PORT(2)
      if (reply.size() == 10)
        code = static_cast<uint8_t>(reply[1]);
    }
  }
  ::close(fd);
  return code;
}

} // namespace

TEST_CASE("failures are visible: dmsg web logs a failed dial and a lost session once, "
          "dmsg curl exits with curl's codes in words") {
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  process local;
  auto info_file = tmp.path / "local.json";
  REQUIRE(skywire::test::spawn(local,
                               {binary, "dmsg", "local", "--info-file", info_file.string()},
                               tmp.path / "local.log"));
  auto info_text = skywire::test::wait_for_file(info_file, 30s);
  REQUIRE_MESSAGE(info_text, skywire::test::read_text(tmp.path / "local.log"));
  std::string disc =
    boost::json::parse(*info_text).as_object().at("discovery").as_string().c_str();

  auto keys = skywire::test::run({binary, "cli", "config", "gen-keys"}, 30s);
  REQUIRE(keys.code == 0);
  auto nobody = keys.out.substr(0, 66); // a valid key nobody registered

  { // dmsg curl to a peer that does not exist: 6, the cause in words
    auto r = skywire::test::run(
      {binary, "dmsg", "curl", "-q", "-D", disc, "dmsg://" + nobody + ":80/x"}, 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.code == 6);
    CHECK(r.err.find("could not resolve") != std::string::npos);
    CHECK(r.err.find("no such peer in discovery") != std::string::npos);
    CHECK(r.err.find("system:") == std::string::npos);
  }

  // dmsg web, at info
  process web;
  auto web_log = tmp.path / "web.log";
  REQUIRE(skywire::test::spawn(web, {binary, "dmsg", "web", "-q", "0", "-D", disc, "-l", "info"},
                               web_log));
  REQUIRE_MESSAGE(skywire::test::wait_for_text(web_log, "SOCKS5 on", 30s),
                  skywire::test::read_text(web_log));
  auto port_text = match(skywire::test::read_text(web_log), "SOCKS5 on 127\\.0\\.0\\.1:([0-9]+)");
  REQUIRE(!port_text.empty());
  auto proxy_port = static_cast<uint16_t>(std::stoi(port_text));

  { // a peer that does not exist: "host unreachable" and one info line with the cause
    CHECK(socks5_connect(proxy_port, nobody + ".dmsg", 80) == 4);
    REQUIRE_MESSAGE(skywire::test::wait_for_text(web_log, "dmsg dial failed", 30s),
                    skywire::test::read_text(web_log));
    auto text = skywire::test::read_text(web_log);
    INFO(text);
    CHECK(count_lines(text, {"level=info"}) == 1);
    CHECK(count_lines(text, {"level=info", "component=dmsg_web", "msg=\"dmsg dial failed\"",
                             "cause=\"no such peer in discovery\"", "remote=" + nobody + ":80",
                             "local=127.0.0.1:"})
          == 1);
    CHECK(text.find("system:") == std::string::npos);
  }

  { // the dmsg server (and the discovery) go away: the lost session, once, with its cause
    CHECK(local.stop(SIGTERM, 10s));
    REQUIRE_MESSAGE(skywire::test::wait_for_text(web_log, "session lost", 30s),
                    skywire::test::read_text(web_log));
    auto text = skywire::test::read_text(web_log);
    INFO(text);
    CHECK(count_lines(text, {"level=info", "component=dmsg", "msg=\"session lost\"", "cause=\""})
          == 1);
    CHECK(text.find("system:") == std::string::npos);
  }
  CHECK(web.stop(SIGTERM, 10s));
  CHECK(web.exit_code() == 0);

  { // the discovery is down: 6 (could not resolve), in words
    auto r = skywire::test::run({binary, "dmsg", "curl", "-q", "-D", disc, "--ready-timeout",
                                 "5", "dmsg://" + nobody + ":80/x"},
                                60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.code == 6);
    CHECK(r.err.find("discovery") != std::string::npos);
    CHECK(r.err.find("system:") == std::string::npos);
  }

  { // config errors exit 1
    auto r = skywire::test::run(
      {binary, "dmsg", "curl", "-q", "-s", "zz", "-D", disc, "dmsg://" + nobody + ":80/x"}, 30s);
    CHECK(r.code == 1);
    CHECK(r.err.find("not a valid secret key") != std::string::npos);
  }
}
