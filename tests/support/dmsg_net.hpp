// An in-process dmsg network on 127.0.0.1 for tests: the real discovery
// and dmsg server actors, clients, and small helpers (dial, listen, an echo
// owner). Shared by the dmsg client and dmsghttp tests.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg/client.hpp"
#include "actors/dmsg/discovery_client.hpp"
#include "actors/services/dmsg_discovery.hpp"
#include "actors/services/dmsg_server.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/support/dmsg_wait.hpp"
#include "tests/support/wait.hpp"

namespace skywire::test::dmsg_net {

using namespace std::chrono_literals;
namespace svc = skywire::services;
namespace api = skywire::api;

inline crypto::keypair kp(std::string_view seed) {
  return crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

/// Echoes every stream accepted on its port; acknowledges consumption.
inline caf::behavior echo(caf::event_based_actor* self) {
  return {
    [=](api::accept_atom, api::stream_opened& s) {
      caf::anon_send(s.stream, api::set_owner_atom::value, caf::actor_cast<caf::actor>(self));
    },
    [=](api::data_atom, api::byte_buffer& b) {
      auto n = static_cast<uint32_t>(b.size());
      auto stream = caf::actor_cast<caf::actor>(self->current_sender());
      self->send(stream, api::write_atom::value, std::move(b));
      self->send(stream, api::consumed_atom::value, n);
    },
    [=](api::ack_atom, uint64_t) {},
    [=](api::closed_atom, caf::error&) {},
  };
}

struct net {
  // io outlives sys: actors still alive at shutdown close their sockets on it.
  caf::actor_system_config cfg;
  io::io_runtime io{2};
  caf::actor_system sys{cfg};
  svc::dmsg_discovery_handle disc;
  std::vector<svc::dmsg_server_handle> servers;

  net() {
    svc::dmsg_discovery_config dc;
    dc.port = 0;
    dc.test_mode = true;
    auto h = svc::spawn_dmsg_discovery(sys, io, dc);
    REQUIRE(h);
    disc = *h;
  }
  /// Clients and owners spawned by a case: stopped at teardown even when a
  /// failed assertion left them running (~actor_system waits for them).
  std::vector<caf::actor> actors;

  ~net() {
    for (auto& a : actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& s : servers)
      s.stop();
    disc.stop();
  }
  template <class F>
  caf::actor spawn(F f) {
    auto a = sys.spawn(std::move(f));
    actors.push_back(a);
    return a;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(disc.port); }

  svc::dmsg_server_handle& server(std::string_view seed, uint16_t port = 0) {
    svc::dmsg_server_config c;
    auto k = kp(seed);
    c.pk = k.pk;
    c.sk = k.sk;
    c.discovery = url();
    c.local_address = "127.0.0.1:" + std::to_string(port);
    c.public_address = "";
    c.health_endpoint_address = "127.0.0.1:0";
    c.max_sessions = 10;
    c.discovery_throttle = 50ms;
    c.check_interval = 50ms;
    auto r = svc::spawn_dmsg_server(sys, io, c);
    REQUIRE_MESSAGE(r, describe(r.error()));
    servers.push_back(*r);
    return servers.back();
  }

  dmsg::client_config client_cfg(std::string_view seed) {
    dmsg::client_config c;
    auto k = kp(seed);
    c.pk = k.pk;
    c.sk = k.sk;
    c.discovery_url = url();
    c.sessions_count = 1;
    c.backoff_initial_ms = 100;
    c.backoff_max_ms = 500;
    c.discovery_timeout = 3s;
    return c;
  }

  api::dmsg_client_actor client(dmsg::client_config c) {
    auto a = dmsg::spawn_dmsg_client(sys, io, std::move(c));
    actors.push_back(caf::actor_cast<caf::actor>(a));
    wait_ready(a);
    return a;
  }

  void wait_ready(const api::dmsg_client_actor& a) {
    caf::scoped_actor self{sys};
    bool ok = false;
    self->request(a, 10s, api::ready_atom::value)
      .receive([&](api::ok_atom) { ok = true; },
               [&](caf::error& err) {
                 caf::scoped_actor s2{sys};
                 std::string st;
                 s2->request(a, 2s, api::info_atom::value)
                   .receive([&](api::client_info& i) { st = dmsg::sessions_json(i); },
                            [&](caf::error&) {});
                 FAIL("client not ready: " << describe(err) << " sessions " << st);
               });
    REQUIRE(ok);
  }

  void wait_server_registered(size_t n) {
    if (!servers_registered(io, url(), n, 10s))
      FAIL("servers did not register");
  }
};

inline api::client_info info(caf::actor_system& sys, const api::dmsg_client_actor& c) {
  caf::scoped_actor self{sys};
  api::client_info out;
  self->request(c, 5s, api::info_atom::value)
    .receive([&](api::client_info& i) { out = std::move(i); },
             [&](caf::error& err) { FAIL(describe(err)); });
  return out;
}

inline void listen(caf::actor_system& sys, const api::dmsg_client_actor& c, uint16_t p, const caf::actor& owner) {
  caf::scoped_actor self{sys};
  self->request(c, 5s, api::listen_atom::value, port{p}, owner)
    .receive([](api::ok_atom) {}, [](caf::error& err) { FAIL(describe(err)); });
}

inline expected<api::stream_opened> dial(caf::scoped_actor& self, const api::dmsg_client_actor& c, address to,
                                  std::chrono::milliseconds timeout = 10s) {
  expected<api::stream_opened> out = caf::error{};
  self->request(c, timeout, api::dial_atom::value, to)
    .receive([&](api::stream_opened& s) { out = std::move(s); },
             [&](caf::error& err) { out = std::move(err); });
  return out;
}

/// Dials, retrying briefly: a server registers a session a moment after the
/// client considers it up, and entry updates are asynchronous.
inline expected<api::stream_opened> dial_retry(caf::scoped_actor& self, const api::dmsg_client_actor& c, address to) {
  return skywire::test::retry([&] { return dial(self, c, to); }, 30, 100ms);
}

/// Sends `total` bytes in chunks through an echo and checks they come back.
} // namespace skywire::test::dmsg_net
