// The dmsg server under a hostile flood, CI form (seconds; bench/flood_bench
// is the full form): a few hundred connections of every hostile kind from
// many loopback sources (127.1.x.y, and 127.0.0.2.. beside the honest
// 127.0.0.1) while an established session keeps relaying, a new honest
// client gets its session, /health answers; afterwards the pending budget is
// empty again. Every wait is on an event (bounded), never a fixed sleep.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/services/dmsg_server.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/http/client.hpp"
#include "tests/actors/services/dmsg_server/raw_client.hpp"
#include "tests/support/flood.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace dmsg_server_test;
namespace svc = skywire::services;
using namespace std::chrono_literals;

namespace {

/// The server's registry and admission counters report no event: a poll.
template <class Pred>
bool wait_until(Pred p, std::chrono::milliseconds limit) {
  return skywire::test::eventually(p, limit, 5ms);
}

} // namespace

TEST_CASE("flood (CI form): established session relays, a new client gets in, health answers") {
  testing::raise_nofile_limit();
  caf::actor_system_config acfg;
  caf::actor_system sys{acfg};
  io::io_runtime io{2};
  auto keys = crypto::generate_keypair();
  svc::dmsg_server_config c;
  c.pk = keys.pk;
  c.sk = keys.sk;
  c.discovery = "";
  c.local_address = "127.0.0.1:0";
  c.health_endpoint_address = "127.0.0.1:0";
  c.public_address = "";
  c.max_sessions = 64;
  c.limits.handshake_timeout = 2000ms;
  c.admission.max_pending = 48;
  c.admission.max_pending_per_ip = 4;
  c.admission.max_pending_per_prefix = 12;
  c.admission.min_deadline = 300ms;
  auto h = svc::spawn_dmsg_server(sys, io, c);
  REQUIRE(h);

  // A session and a stream A -> B before the flood.
  raw_client a, b;
  REQUIRE(a.connect_and_handshake(h->port, keys.pk));
  REQUIRE(b.connect_and_handshake(h->port, keys.pk));
  REQUIRE(wait_until([&] { return h->registry->sessions() == 2; }, 3s));
  auto req = a.open_stream(1, {b.pk(), port{45}});
  auto b_id = b.accept_stream();
  REQUIRE(b_id);
  auto got = b.read_object(*b_id);
  REQUIRE(got);
  auto v = dmsg::verify_stream_request(*got);
  REQUIRE(v);
  b.respond(*b_id, *v);
  REQUIRE(a.read_object(1));
  auto exchange = [&](uint8_t seed) {
    bytes x(1000);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = static_cast<uint8_t>(seed + i);
    a.send_data(1, x);
    auto y = b.read_data(*b_id, x.size());
    return y && *y == x;
  };
  REQUIRE(exchange(1));

  testing::flood_config fc;
  fc.port = h->port;
  fc.connections = 400;
  fc.sources = 100;
  fc.same_prefix_sources = 8;
  fc.reconnects_per_second = 2000;
  fc.drip = 200ms;
  fc.kinds = {testing::flood_kind::half_open, testing::flood_kind::slowloris,
              testing::flood_kind::garbage, testing::flood_kind::oversized,
              testing::flood_kind::first_msg};
  for (int i = 0; i < 4; ++i)
    fc.first_messages.push_back(testing::xk_first_message(keys.pk));
  testing::flood fl{fc};
  fl.start();
  // the flood is on once the budget overflowed (evictions) and the first wave is out
  REQUIRE(wait_until([&] {
    return fl.first_wave_done() && h->admission->counter(io::refusal::evicted) > 50;
  }, 10s));
  CHECK(h->admission->pending() <= 48);

  // The established stream still relays, both ways, several times.
  for (uint8_t i = 2; i < 12; ++i)
    CHECK(exchange(i));
  // A new honest client (127.0.0.1) gets its session.
  auto t0 = std::chrono::steady_clock::now();
  raw_client late;
  REQUIRE(late.connect_and_handshake(h->port, keys.pk));
  CHECK(wait_until([&] { return h->registry->find(late.pk()) != caf::actor{}; }, 3s));
  MESSAGE("new session during the flood in "
          << std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()
          << " ms; flood connects " << fl.stats.connects.load() << ", closed by server "
          << fl.stats.closed_by_peer.load());
  // /health answers, and /metrics counts the refusals by kind.
  http::client_request r;
  r.port = h->health_port;
  r.target = "/metrics";
  r.timeout = 3s;
  auto res = http::request_sync(r);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.find("dmsg_server_admission_refused_total{reason=\"evicted\"}")
        != std::string::npos);
  // The replayed messages 1 (4 of them, resent on every reconnect) are
  // refused before any DH.
  CHECK(h->admission->counter(io::refusal::replayed) > 0);
  CHECK(res->body.find("dmsg_server_admission_refused_total{reason=\"replayed\"}")
        != std::string::npos);
  CHECK(h->registry->sessions() == 3);

  fl.stop();
  // Afterwards: nothing pending, the sessions still there.
  CHECK(wait_until([&] { return h->admission->pending() == 0; }, 5s));
  CHECK(exchange(99));
  CHECK(h->registry->sessions() == 3);

  auto reg = h->registry;
  h->stop();
  wait_until([&] { return reg->connections() == 0; }, 5s);
}
