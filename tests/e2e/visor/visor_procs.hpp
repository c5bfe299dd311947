// Helpers of the visor end-to-end tests: the `skywire` CLI, visor processes
// with generated configs (each killed by PID when its test ends), the
// services they use (`skywire svc tpd`, `skywire svc ar`) on loopback, and a
// bounded poll.
#pragma once

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "runtime/http/client.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/build_paths.hpp"

namespace e2e_visor {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
using skywire::test::process;

inline const std::string binary = SKYWIRE_BINARY;

inline skywire::test::run_result cli(std::vector<std::string> args) {
  args.insert(args.begin(), binary);
  auto r = skywire::test::run(std::move(args), 30s);
  REQUIRE_FALSE(r.timed_out);
  return r;
}

using skywire::test::eventually; // tests/support/wait.hpp

struct visor_proc {
  fs::path dir;
  fs::path config;
  fs::path log;
  std::string rpc; ///< unix://…
  std::string pk;
  process p;
};

/// A config from `config gen --local` in root/name, changed by `edit`.
inline void make_visor(visor_proc& v, const fs::path& root, const std::string& name,
                       const std::function<void(json::object&)>& edit) {
  v.dir = root / name;
  fs::create_directories(v.dir);
  v.config = v.dir / "skywire-config.json";
  v.log = v.dir / "visor.log";
  auto r = cli({"cli", "config", "gen", "--local", "-o", v.config.string(), "--local-path",
                (v.dir / "local").string()});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  auto c = json::parse(skywire::test::read_text(v.config)).as_object();
  v.pk = std::string{c["pk"].as_string()};
  edit(c);
  auto tmpfile = v.config;
  tmpfile += ".tmp";
  std::ofstream{tmpfile} << json::serialize(c);
  fs::rename(tmpfile, v.config);
  v.rpc = "unix://" + (v.dir / "local" / "cli.sock").string();
}

/// Starts the visor process (its command line after `prefix`, e.g. `ip
/// netns exec NS`).
inline void spawn_visor(visor_proc& v, std::vector<std::string> prefix = {}) {
  for (auto a : {binary, std::string{"visor"}, std::string{"-c"}, v.config.string()})
    prefix.push_back(a);
  REQUIRE(skywire::test::spawn(v.p, std::move(prefix), v.log));
}

/// Returns once the visor's log shows `ready_text` and its CLI answers.
inline void await_visor(visor_proc& v, const std::string& ready_text) {
  REQUIRE_MESSAGE(skywire::test::wait_for_text(v.log, ready_text, 10s),
                  skywire::test::read_text(v.log));
  REQUIRE(eventually([&] { return cli({"cli", "visor", "pk", "--rpc", v.rpc}).code == 0; }, 10s));
}

/// Starts the visor; returns once its log shows `ready_text` and its CLI
/// answers.
inline void start_visor(visor_proc& v, const std::string& ready_text) {
  spawn_visor(v);
  await_visor(v, ready_text);
}

inline json::value call_json(const visor_proc& v, std::vector<std::string> args) {
  args.insert(args.begin(), {"cli", "visor"});
  args.push_back("--json");
  args.push_back("--rpc");
  args.push_back(v.rpc);
  auto r = cli(args);
  REQUIRE_MESSAGE(r.code == 0, r.err, "\n", skywire::test::read_text(v.log));
  return json::parse(r.out);
}

inline json::array tp_ls(const visor_proc& v) {
  return call_json(v, {"tp", "ls"}).as_array();
}

/// The port a process logged once its log shows `needle` (regex `re`, one group).
inline uint16_t port_from_log(const fs::path& log, const std::string& needle,
                              const std::string& re) {
  REQUIRE_MESSAGE(skywire::test::wait_for_text(log, needle, 15s), skywire::test::read_text(log));
  auto p = skywire::test::match(skywire::test::read_text(log), re);
  REQUIRE_MESSAGE(!p.empty(), skywire::test::read_text(log));
  return static_cast<uint16_t>(std::stoi(p));
}

/// GET http://127.0.0.1:port/target, the body.
inline std::string http_get(uint16_t port, const std::string& target) {
  skywire::http::client_request r;
  r.port = port;
  r.target = target;
  r.timeout = 2s;
  auto res = skywire::http::request_sync(r);
  REQUIRE(res);
  return res->body;
}

/// `skywire svc tpd` on an ephemeral loopback port.
struct tpd_proc {
  process p;
  uint16_t port = 0;

  explicit tpd_proc(const fs::path& root) {
    auto log = root / "tpd.log";
    REQUIRE(skywire::test::spawn(p, {binary, "svc", "tpd", "-a", "127.0.0.1:0"}, log));
    REQUIRE_MESSAGE(skywire::test::wait_for_text(log, "transport discovery listening", 5s),
                    skywire::test::read_text(log));
    auto text = skywire::test::match(skywire::test::read_text(log), "addr=127\\.0\\.0\\.1:(\\d+)");
    REQUIRE_FALSE(text.empty());
    port = static_cast<uint16_t>(std::stoi(text));
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  std::string all_transports() const { return http_get(port, "/all-transports"); }
};

/// A loopback port free for TCP and UDP at once (for a service whose UDP
/// side must listen on its HTTP port: the visors' address resolver URL names
/// one port for both). Another process may take it before the service
/// binds; the caller retries then.
inline uint16_t free_tcp_udp_port() {
  for (int i = 0; i < 32; ++i) {
    int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    uint16_t port = 0;
    if (::bind(t, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0
        && ::getsockname(t, reinterpret_cast<sockaddr*>(&sa), &len) == 0
        && ::bind(u, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0)
      port = ntohs(sa.sin_port);
    ::close(t);
    ::close(u);
    if (port != 0)
      return port;
  }
  return 0;
}

/// `skywire svc ar` on 127.0.0.1, HTTP and UDP on one port (the visors find
/// the UDP side at their URL's host and port).
struct ar_proc {
  process p;
  uint16_t port = 0;
  fs::path log;

  explicit ar_proc(const fs::path& root) {
    for (int attempt = 0; attempt < 5 && port == 0; ++attempt) {
      auto candidate = free_tcp_udp_port();
      REQUIRE(candidate != 0);
      log = root / ("ar-" + std::to_string(attempt) + ".log");
      auto addr = "127.0.0.1:" + std::to_string(candidate);
      REQUIRE(skywire::test::spawn(p, {binary, "svc", "ar", "-a", addr, "--udp-addr", addr}, log));
      bool exited = false;
      bool up = eventually(
        [&] {
          exited = p.wait_for(1ms); // reaps it when it exited
          return exited
                 || skywire::test::read_text(log).find("address resolver listening")
                      != std::string::npos;
        },
        5s);
      REQUIRE(up);
      if (!exited) {
        port = candidate;
      } else { // the port was taken meanwhile: another one
        p.pid = -1;
        p.reaped = false;
      }
    }
    REQUIRE_MESSAGE(port != 0, skywire::test::read_text(log));
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  /// The keys bound for sudph (GET /transports).
  std::string transports() const { return http_get(port, "/transports"); }
};

} // namespace e2e_visor
