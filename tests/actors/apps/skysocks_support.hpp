// Test support for the skysocks apps in one process: a route manager
// stand-in whose routes are two real route group cores (Noise KK, the
// reference framing) joined in memory on one io shard, with real route group
// actors around them; an HTTP server (python3 -m http.server) on loopback;
// curl as the SOCKS5 client; the fixture with both apps and the origin.
#pragma once

#include <doctest/doctest.h>

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <fstream>
#include <map>
#include <regex>

#include "actors/apps/app.hpp"
#include "actors/apps/skysocks.hpp"
#include "actors/apps/skysocks_client.hpp"
#include "actors/routing/route_group.hpp"
#include "messages/api/route_manager.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/shard_timers.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/log_watch.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_conn.hpp"

namespace skysocks_test {

using namespace skywire;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using core = routing::route_group_core;

inline crypto::keypair identity(std::string_view seed) {
  return crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

struct fake_routes_state {
  std::map<uint16_t, caf::actor> listeners;
  uint64_t routes = 0;
};

/// The route manager stand-in: rt_dial joins two cores on `io`'s first shard.
inline caf::behavior fake_routes(caf::stateful_actor<fake_routes_state>* self,
                                 io::io_runtime* io, crypto::keypair dialer,
                                 crypto::keypair server) {
  return {
    [self](api::rt_listen_atom, uint16_t port, caf::actor listener) -> caf::result<api::ok_atom> {
      self->state.listeners[port] = std::move(listener);
      return api::ok_atom::value;
    },
    [self, io, dialer, server](api::rt_dial_atom,
                               const api::route_dial& d) -> caf::result<api::route_group_actor> {
      auto l = self->state.listeners.find(d.remote_port);
      if (l == self->state.listeners.end())
        return make_error(wire_errc::bad_value, "no listener");
      auto& ctx = io->context();
      auto post = [&ctx](std::function<void()> fn) { asio::post(ctx, std::move(fn)); };
      auto& timers = io::shard_timers::of(ctx);
      core::config ca, cb;
      ca.side = core::role::initiator;
      ca.local = dialer;
      ca.remote = server.pk;
      ca.forward_rid = route_id{1};
      cb.side = core::role::responder;
      cb.local = server;
      cb.remote = dialer.pk;
      cb.forward_rid = route_id{2};
      auto a_cell = std::make_shared<std::weak_ptr<core>>();
      auto b_cell = std::make_shared<std::weak_ptr<core>>();
      auto link = [&ctx](std::shared_ptr<std::weak_ptr<core>> to) {
        return [&ctx, to](wire::routing::packet_type t, route_id rid, byte_span payload) {
          std::vector<uint8_t> copy(payload.begin(), payload.end());
          asio::post(ctx, [to, t, rid, copy = std::move(copy)] {
            if (auto c = to->lock())
              c->on_packet(wire::routing::packet_view{t, rid, {copy.data(), copy.size()}});
          });
          return core::send_status::ok;
        };
      };
      auto a = std::make_shared<core>(ca, timers, link(b_cell));
      auto b = std::make_shared<core>(cb, timers, link(a_cell));
      *a_cell = a;
      *b_cell = b;
      a->set_post_fn(post);
      b->set_post_fn(post);
      auto owner = caf::actor_cast<caf::actor>(self->current_sender());
      auto ga = self->spawn<routing::route_group_actor>(routing::route_group_params{a, post, owner, true, {}});
      auto gb = self->spawn<routing::route_group_actor>(
        routing::route_group_params{b, post, l->second, true, {}});
      // the stand-in owns its routes as the route manager does: they end with it
      self->link_to(ga);
      self->link_to(gb);
      self->send(l->second, api::rt_accept_atom::value,
                 caf::actor_cast<api::route_group_actor>(gb), dialer.pk, d.local_port);
      ++self->state.routes;
      auto rp = self->make_response_promise<api::route_group_actor>();
      auto ta = caf::actor_cast<api::route_group_actor>(ga);
      self->request(ta, 10s, api::ready_atom::value)
        .then([rp, ta](api::ok_atom) mutable { rp.deliver(ta); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [](api::rt_ping_atom, const api::route_ping&) -> caf::result<std::string> {
      return make_error(wire_errc::unsupported, "no ping here");
    },
    [self](api::rt_service_atom, uint16_t port) -> caf::result<caf::actor> {
      auto l = self->state.listeners.find(port);
      if (l == self->state.listeners.end())
        return make_error(wire_errc::bad_value, "no listener");
      return l->second;
    },
  };
}

/// A loopback TCP port nobody listens on, for as long as this lives: bound
/// and never listening, so a connect to it is refused and no other socket of
/// the machine can take it meanwhile (a port found free and handed over
/// later races every other socket).
struct closed_port {
  asio::io_context ctx;
  asio::ip::tcp::socket s{ctx};
  uint16_t port = 0;
  /// `at`: the port a listener of this test just closed (its connections'
  /// leftovers do not stand in the way); 0: one the kernel picks.
  explicit closed_port(uint16_t at = 0) {
    s.open(asio::ip::tcp::v4());
    if (at != 0)
      s.set_option(asio::socket_base::reuse_address(true));
    s.bind({asio::ip::make_address("127.0.0.1"), at});
    port = s.local_endpoint().port();
  }
};

/// A SOCKS5 conversation in raw bytes with the client app's listener.
struct raw_socks {
  test::raw_conn c;
  explicit raw_socks(uint16_t port) : c{port, 10000} {}
  void send(const std::vector<uint8_t>& b) {
    c.send({reinterpret_cast<const char*>(b.data()), b.size()});
  }
  /// Exactly n bytes, or fewer when the connection ended or 10 s passed
  /// (then `error` says how: 0 for an orderly end).
  std::vector<uint8_t> read(size_t n) {
    std::vector<uint8_t> out(n);
    size_t got = 0;
    while (got < n) {
      auto r = ::recv(c.sock.native_handle(), out.data() + got, n - got, 0);
      if (r <= 0) {
        error = r == 0 ? 0 : errno;
        break;
      }
      got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
  }
  /// Everything up to the connection's end.
  std::string read_to_end() {
    std::string out;
    char buf[4096];
    for (;;) {
      auto r = ::recv(c.sock.native_handle(), buf, sizeof buf, 0);
      if (r <= 0) {
        error = r == 0 ? 0 : errno;
        return out;
      }
      out.append(buf, static_cast<size_t>(r));
    }
  }
  int error = 0;
};

/// A CONNECT request for 127.0.0.1:port.
inline std::vector<uint8_t> connect_v4(uint16_t port) {
  return {5, 1, 0, 1, 127, 0, 0, 1, static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port)};
}

/// python3 -m http.server on [::] (IPv4 and IPv6 loopback) serving `dir`, on
/// the port the kernel gave it (a port found free and handed over later races
/// every other socket of the machine).
struct http_server {
  test::process p;
  uint16_t port = 0;
  bool start(const std::filesystem::path& dir, const std::filesystem::path& log) {
    if (!test::spawn(p,
                     {"python3", "-u", "-m", "http.server", "0", "--bind", "::", "--directory",
                      dir.string()},
                     log))
      return false;
    if (!test::wait_for_text(log, "Serving HTTP on", 15s))
      return false;
    auto got = test::match(test::read_text(log), "port (\\d+)");
    if (got.empty())
      return false;
    port = static_cast<uint16_t>(std::stoi(got));
    // up once it answers
    return test::eventually(
      [&] {
        auto r = test::run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://127.0.0.1:" + std::to_string(port) + "/"},
                           5s);
        return r.out == "200";
      },
      15s);
  }
  ~http_server() { p.stop(SIGTERM, 2s); }
};

/// curl and python3 are there (under CI=true they must be).
inline bool tools_present() {
  bool ok = test::have_curl() && test::run({"python3", "--version"}, 10s).code == 0;
  if (!ok) {
    if (std::getenv("CI") && std::string{std::getenv("CI")} == "true")
      FAIL("curl and python3 are needed");
    MESSAGE("skipped: curl or python3 missing");
  }
  return ok;
}

/// skysocks (routing port 3) and skysocks-client (port 13) over the stand-in's
/// route, an origin HTTP server, a scratch directory.
struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  io::io_runtime io{1};
  crypto::keypair client_id = identity("skysocks client");
  crypto::keypair server_id = identity("skysocks server");
  caf::actor routes;
  caf::actor server, client;
  uint16_t socks_port = 0;
  uint16_t http_port = 0; ///< the client's --http listener (start with http = true)
  test::temp_dir dir;
  test::log_watch logs; ///< its sink goes after the destructor has ended the actors

  fixture() {
    sys = std::make_unique<caf::actor_system>(cfg);
    routes = sys->spawn(fake_routes, &io, client_id, server_id);
  }
  ~fixture() {
    for (auto& a : {client, server, routes})
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
    client = server = routes = nullptr;
    io.stop(); // the shard's handlers go before the actor system does
  }

  apps::app_context ctx(std::string name, std::vector<std::string> args, uint16_t port) {
    apps::app_context c;
    c.sys = sys.get();
    c.io = &io;
    c.routes = caf::actor_cast<api::route_manager_actor>(routes);
    c.name = std::move(name);
    c.args = std::move(args);
    c.routing_port = skywire::port{port};
    c.work_dir = dir.path;
    return c;
  }

  /// Both apps, the client's listeners on ports the kernel gives: up once
  /// their lines say so (the server listening on its routing port before the
  /// client dials it, the client connected with the ports it listens on).
  void start(std::string passcode = {}, bool with_http = false) {
    std::vector<std::string> sargs;
    if (!passcode.empty())
      sargs = {"--passcode", passcode};
    auto from = logs.size();
    auto s = apps::spawn_skysocks(ctx("skysocks", sargs, 3));
    REQUIRE(s);
    server = *s;
    REQUIRE(logs.wait_for("component=skysocks msg=listening port=3", 10s, from));
    std::vector<std::string> cargs{"--srv", server_id.pk.hex(), "--addr", "127.0.0.1:0"};
    if (with_http)
      cargs.insert(cargs.end(), {"--http", "127.0.0.1:0"});
    from = logs.size();
    auto c = apps::spawn_skysocks_client(ctx("skysocks-client", std::move(cargs), 13));
    REQUIRE(c);
    client = *c;
    auto socks = logs.wait_for("component=skysocks-client msg=connected .*listen=127\\.0\\.0\\.1:(\\d+)",
                               10s, from);
    REQUIRE(socks);
    socks_port = static_cast<uint16_t>(std::stoi(*socks));
    if (with_http) {
      auto h = logs.wait_for("component=skysocks-client msg=\"HTTP proxy listening\" http=127\\.0\\.0\\.1:(\\d+)",
                             10s, from);
      REQUIRE(h);
      http_port = static_cast<uint16_t>(std::stoi(*h));
    }
  }

  http_server http;

  /// www/hello.txt holding `text`, served over http; then the apps.
  void serve_hello(const std::string& text, std::string passcode = {}, bool http_proxy = false) {
    auto www = dir.path / "www";
    std::filesystem::create_directories(www);
    {
      std::ofstream out{www / "hello.txt"};
      out << text;
    }
    REQUIRE(http.start(www, dir.path / "http.log"));
    start(std::move(passcode), http_proxy);
  }

  std::string proxy(const std::string& scheme, const std::string& cred = {}) const {
    return scheme + "://" + (cred.empty() ? "" : cred + "@") + "127.0.0.1:" + std::to_string(socks_port);
  }

  /// www/part0..part<n-1>: `total` pseudo-random bytes cut in n files,
  /// served over http. Returns the SHA-256 (hex) of the whole.
  std::string serve_parts(size_t total, int n) {
    auto www = dir.path / "www";
    std::filesystem::create_directories(www);
    auto data = test::pseudo_random(total, 11);
    auto want = crypto::sha256(byte_span{data.data(), data.size()}).hex();
    for (int i = 0; i < n; ++i) {
      std::ofstream out{www / ("part" + std::to_string(i)), std::ios::binary};
      out.write(reinterpret_cast<const char*>(data.data()) + i * (total / n), total / n);
    }
    REQUIRE(http.start(www, dir.path / "http.log"));
    return want;
  }

  /// curl `proxy_args` fetching the n parts from `host` in parallel into
  /// got/; the SHA-256 (hex) of what came, each part checked for its size.
  std::string fetch_parts(std::vector<std::string> proxy_args, const std::string& host,
                          size_t total, int n) {
    std::vector<std::string> cmd{"curl", "-sS", "--fail", "--parallel", "--parallel-max",
                                 std::to_string(n)};
    cmd.insert(cmd.end(), proxy_args.begin(), proxy_args.end());
    auto got = dir.path / "got";
    std::filesystem::remove_all(got);
    std::filesystem::create_directories(got);
    for (int i = 0; i < n; ++i) {
      cmd.push_back("http://" + host + ":" + std::to_string(http.port) + "/part" + std::to_string(i));
      cmd.push_back("-o");
      cmd.push_back((got / ("part" + std::to_string(i))).string());
    }
    auto t0 = std::chrono::steady_clock::now();
    auto r = test::run(cmd, 120s);
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_MESSAGE(r.code == 0, r.err);
    std::vector<uint8_t> all;
    all.reserve(total);
    for (int i = 0; i < n; ++i) {
      std::ifstream in{got / ("part" + std::to_string(i)), std::ios::binary};
      std::vector<uint8_t> b{std::istreambuf_iterator<char>(in), {}};
      CHECK(b.size() == total / n);
      all.insert(all.end(), b.begin(), b.end());
    }
    auto mib = static_cast<double>(total) / (1024 * 1024);
    MESSAGE(mib << " MiB over " << n << " connections in " << secs << " s: " << mib / secs
                << " MiB/s");
    return crypto::sha256(byte_span{all.data(), all.size()}).hex();
  }
};

} // namespace skysocks_test
