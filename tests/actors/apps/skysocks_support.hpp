// Test support for the skysocks apps in one process: a route manager
// stand-in whose routes are two real route group cores (Noise KK, the
// reference framing) joined in memory on one io shard, with real route group
// actors around them; an HTTP server (python3 -m http.server) on loopback;
// curl as the SOCKS5 client.
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

#include <map>
#include <regex>

#include "actors/apps/app.hpp"
#include "actors/routing/route_group.hpp"
#include "messages/api/route_manager.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/shard_timers.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/process.hpp"

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
      auto ga = self->spawn<routing::route_group_actor>(routing::route_group_params{a, post, owner, true});
      auto gb = self->spawn<routing::route_group_actor>(
        routing::route_group_params{b, post, l->second, true});
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

/// A TCP port free on loopback right now.
inline uint16_t free_port() {
  asio::io_context ctx;
  asio::ip::tcp::acceptor a{ctx, {asio::ip::make_address("127.0.0.1"), 0}};
  return a.local_endpoint().port();
}

/// python3 -m http.server on [::] (IPv4 and IPv6 loopback) serving `dir`.
struct http_server {
  test::process p;
  uint16_t port = 0;
  bool start(const std::filesystem::path& dir, const std::filesystem::path& log) {
    port = free_port();
    if (!test::spawn(p,
                     {"python3", "-m", "http.server", std::to_string(port), "--bind", "::",
                      "--directory", dir.string()},
                     log))
      return false;
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

} // namespace skysocks_test
