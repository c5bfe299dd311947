// A dmsg deployment in process for the transport tests, on 127.0.0.1: the
// real dmsg discovery (test mode) and one dmsg server, a scratch folder, and
// dmsg clients whose handle is kept in a client_ref (as the visor keeps its
// dmsg client), so a test can restart one.
#pragma once

#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg/client.hpp"
#include "actors/dmsg/client_ref.hpp"
#include "actors/dmsg/discovery_client.hpp"
#include "actors/services/dmsg_discovery.hpp"
#include "actors/services/dmsg_server.hpp"
#include "messages/api/transport.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/actors/transport/tp_support.hpp"
#include "tests/support/dmsg_wait.hpp"

namespace dmsg_test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace svc = skywire::services;
namespace api = skywire::api;
using skywire::describe;
using skywire::expected;

struct dmsg_world {
  caf::actor_system_config cfg;
  skywire::io::io_runtime io{2};
  caf::actor_system sys{cfg};
  svc::dmsg_discovery_handle disc;
  svc::dmsg_server_handle server;
  fs::path dir;
  std::vector<caf::actor> to_stop;

  dmsg_world() {
    auto tmpl = (fs::temp_directory_path() / "sw-dmsgtp-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    svc::dmsg_discovery_config dc;
    dc.port = 0;
    dc.test_mode = true;
    auto d = svc::spawn_dmsg_discovery(sys, io, dc);
    REQUIRE(d);
    disc = *d;
    svc::dmsg_server_config c;
    auto k = tp_test::identity("dmsg-tp-server");
    c.pk = k.pk;
    c.sk = k.sk;
    c.discovery = url();
    c.local_address = "127.0.0.1:0";
    c.public_address = "";
    c.health_endpoint_address = "";
    c.max_sessions = 10;
    c.discovery_throttle = 50ms;
    c.check_interval = 50ms;
    auto s = svc::spawn_dmsg_server(sys, io, c);
    REQUIRE_MESSAGE(s, describe(s.error()));
    server = *s;
    REQUIRE(skywire::test::servers_registered(io, url(), 1, 10s));
  }

  ~dmsg_world() {
    caf::scoped_actor self{sys};
    for (auto& a : to_stop)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& a : to_stop) // their last log rows are written before the folder goes
      self->wait_for(a);
    server.stop();
    disc.stop();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(disc.port); }
};

struct dmsg_node {
  skywire::crypto::keypair key;
  skywire::dmsg::client_ref_ptr ref = std::make_shared<skywire::dmsg::client_ref>();
  api::dmsg_client_actor client;
  api::transport_manager_actor mgr;
  std::unique_ptr<caf::scoped_actor> events;
  fs::path logs;
};

inline api::dmsg_client_actor start_client(dmsg_world& w, dmsg_node& n) {
  skywire::dmsg::client_config c;
  c.pk = n.key.pk;
  c.sk = n.key.sk;
  c.discovery_url = w.url();
  c.sessions_count = 1;
  c.backoff_initial_ms = 100;
  c.backoff_max_ms = 500;
  c.discovery_timeout = 3s;
  auto client = skywire::dmsg::spawn_dmsg_client(w.sys, w.io, c);
  w.to_stop.push_back(caf::actor_cast<caf::actor>(client));
  caf::scoped_actor self{w.sys};
  bool ready = false;
  self->request(client, 10s, api::ready_atom::value)
    .receive([&](api::ok_atom) { ready = true; },
             [&](caf::error& err) { FAIL("dmsg client not ready: " << describe(err)); });
  REQUIRE(ready);
  n.client = client;
  n.ref->set(client);
  return client;
}

} // namespace dmsg_test
