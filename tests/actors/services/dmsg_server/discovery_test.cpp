// The dmsg server registers and refreshes its entry in the real dmsg
// discovery actor (test mode, loopback), and availableSessions follows the
// number of connections.
#include <doctest/doctest.h>

#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/services/dmsg_discovery.hpp"
#include "actors/services/dmsg_server.hpp"
#include "messages/wire/dmsg/discovery_entry.hpp"
#include "runtime/http/client.hpp"
#include "tests/actors/services/dmsg_server/raw_client.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace dmsg_server_test;
namespace svc = skywire::services;

namespace {

std::optional<wire::dmsg::entry> fetch(uint16_t port, const public_key& pk) {
  http::client_request r;
  r.port = port;
  r.target = "/dmsg-discovery/entry/" + pk.hex();
  r.timeout = std::chrono::seconds{3};
  auto res = http::request_sync(r);
  if (!res || res->status != 200)
    return std::nullopt;
  auto e = wire::dmsg::decode(res->body);
  if (!e)
    return std::nullopt;
  return *e;
}

/// The discovery's entries and the registry's counters report no event: a
/// bounded poll.
template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = std::chrono::milliseconds{5000}) {
  return skywire::test::eventually(p, limit, std::chrono::milliseconds{20});
}

/// Stops both and waits until every session released its socket.
void stop_all(svc::dmsg_server_handle& h, svc::dmsg_discovery_handle& d) {
  auto reg = h.registry;
  h.stop();
  d.stop();
  // The actor system's destructor waits for the actors themselves.
  eventually([&] { return reg->connections() == 0 && reg->tracked().empty(); });
}

} // namespace

TEST_CASE("the server registers its entry and refreshes availableSessions") {
  caf::actor_system_config acfg;
  caf::actor_system sys{acfg};
  io::io_runtime io{1};
  svc::dmsg_discovery_config dcfg;
  dcfg.port = 0;
  dcfg.test_mode = true;
  auto disc = svc::spawn_dmsg_discovery(sys, io, dcfg);
  REQUIRE(disc);

  auto keys = crypto::generate_keypair();
  svc::dmsg_server_config c;
  c.pk = keys.pk;
  c.sk = keys.sk;
  c.discovery = "http://127.0.0.1:" + std::to_string(disc->port);
  c.local_address = "127.0.0.1:0";
  c.health_endpoint_address = "127.0.0.1:0";
  c.public_address = "";
  c.max_sessions = 5;
  c.check_interval = std::chrono::milliseconds{50};
  c.discovery_throttle = std::chrono::milliseconds{100};
  auto h = svc::spawn_dmsg_server(sys, io, c);
  REQUIRE(h);

  std::optional<wire::dmsg::entry> e;
  REQUIRE(eventually([&] { return (e = fetch(disc->port, keys.pk)).has_value(); }));
  REQUIRE(e->server);
  CHECK(e->server->address == "127.0.0.1:" + std::to_string(h->port));
  CHECK(e->server->available_sessions == 5);
  auto first_seq = e->sequence;

  raw_client a, b;
  REQUIRE(a.connect_and_handshake(h->port, keys.pk));
  REQUIRE(b.connect_and_handshake(h->port, keys.pk));
  CHECK(eventually([&] {
    e = fetch(disc->port, keys.pk);
    return e && e->server && e->server->available_sessions == 3;
  }));
  CHECK(e->sequence > first_seq);
  a.close();
  CHECK(eventually([&] {
    e = fetch(disc->port, keys.pk);
    return e && e->server && e->server->available_sessions == 4;
  }));
  a.close();
  b.close();
  stop_all(*h, *disc);
}

TEST_CASE("a restarted server continues the sequence stored in discovery") {
  caf::actor_system_config acfg;
  caf::actor_system sys{acfg};
  io::io_runtime io{1};
  svc::dmsg_discovery_config dcfg;
  dcfg.port = 0;
  dcfg.test_mode = true;
  auto disc = svc::spawn_dmsg_discovery(sys, io, dcfg);
  REQUIRE(disc);
  auto keys = crypto::generate_keypair();
  svc::dmsg_server_config c;
  c.pk = keys.pk;
  c.sk = keys.sk;
  c.discovery = "http://127.0.0.1:" + std::to_string(disc->port);
  c.local_address = "127.0.0.1:0";
  c.health_endpoint_address = "127.0.0.1:0";
  c.public_address = "";
  c.max_sessions = 5;
  c.check_interval = std::chrono::milliseconds{50};
  c.update_interval = std::chrono::milliseconds{200};
  std::optional<wire::dmsg::entry> e;
  uint64_t seq = 0;
  {
    auto h = svc::spawn_dmsg_server(sys, io, c);
    REQUIRE(h);
    REQUIRE(eventually([&] { return (e = fetch(disc->port, keys.pk)) && e->sequence >= 2; }));
    seq = e->sequence;
    auto reg = h->registry;
    h->stop();
    eventually([&] { return reg->connections() == 0; });
  }
  auto h2 = svc::spawn_dmsg_server(sys, io, c);
  REQUIRE(h2);
  CHECK(eventually([&] {
    e = fetch(disc->port, keys.pk);
    return e && e->sequence > seq && e->server
           && e->server->address == "127.0.0.1:" + std::to_string(h2->port);
  }));
  stop_all(*h2, *disc);
}
