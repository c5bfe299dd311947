// The router's data plane (actors/routing/router_core) on chains of 3 to 5
// visors joined by real transport links (actors/transport/transport_link:
// handshakes, Noise, routing packets) over the simulated link with a
// virtual clock: packets rewritten hop by hop both ways, a Close forwarded
// and the transit rules deleted, unknown and expired routes, a route going
// back where it came from and a missing next transport counted by kind,
// route 0 kept for the transport. Deterministic: no sockets, no sleeps.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "actors/routing/router_core.hpp"
#include "actors/routing/rule_table.hpp"
#include "actors/transport/link_directory.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/actors/transport/tp_support.hpp"
#include "tests/sim/sim_link.hpp"
#include "tests/sim/sim_transport.hpp"

using namespace skywire;
using namespace skywire::routing;
using namespace std::chrono_literals;
using tp_test::identity;
using skywire::sim::faults;
using skywire::sim::network;
using skywire::sim::sim_link;
namespace wr = skywire::wire::routing;
namespace tp = skywire::transport;

namespace {

struct received {
  wr::packet_type type;
  route_id rid;
  std::vector<uint8_t> payload;
};

struct visor {
  crypto::keypair keys;
  std::shared_ptr<rule_table> table;
  tp::link_directory_ptr links = std::make_shared<tp::link_directory>();
  router_core_ptr core;
  std::vector<received> got; ///< what the endpoint registered here received
};

/// N visors in a chain, visor i and i+1 joined by transport tps[i].
struct chain {
  network net{7};
  std::vector<std::unique_ptr<visor>> v;
  std::vector<transport_id> tps;
  std::vector<std::pair<tp::transport_link_ptr, tp::transport_link_ptr>> links;

  explicit chain(size_t n, faults f = {}) {
    for (size_t i = 0; i < n; ++i) {
      auto x = std::make_unique<visor>();
      x->keys = identity("visor-" + std::to_string(i));
      x->table = std::make_shared<rule_table>([this] { return net.now(); });
      x->core = std::make_shared<router_core>(x->table, x->links);
      x->core->attach();
      v.push_back(std::move(x));
    }
    for (size_t i = 0; i + 1 < n; ++i)
      join(*v[i], *v[i + 1], f);
  }

  void join(visor& a, visor& b, faults f) {
    auto t = skywire::sim::join_transport(net, a.keys, b.keys, f, f);
    a.links->put(t.id, t.a);
    b.links->put(t.id, t.b);
    tps.push_back(t.id);
    links.emplace_back(t.a, t.b);
  }

  /// Installs the rules of a route from visor `from` to visor `to` along the
  /// chain, keys `base + hop`, as a setup node would (§4.6 step 4); returns
  /// the source's forward rule key and the destination's consume key.
  std::pair<route_id, route_id> route(size_t from, size_t to, uint32_t base,
                                      std::chrono::nanoseconds keep_alive = 30s) {
    wr::route_descriptor d{v[from]->keys.pk, v[to]->keys.pk, port{49152}, port{44}};
    int step = to > from ? 1 : -1;
    uint32_t key = base;
    for (size_t i = from; i != to; i += step) {
      auto tpi = step > 0 ? tps[i] : tps[i - 1];
      wr::rule r = i == from ? wr::make_forward_rule(keep_alive, route_id{key}, route_id{key + 1}, tpi, d)
                             : wr::make_intermediary_rule(keep_alive, route_id{key}, route_id{key + 1}, tpi);
      REQUIRE_FALSE(v[i]->table->install(r));
      ++key;
    }
    REQUIRE_FALSE(v[to]->table->install(wr::make_consume_rule(keep_alive, route_id{key}, d)));
    auto& dst = *v[to];
    dst.core->set_endpoint(route_id{key}, [&dst](const wr::packet_view& p) {
      dst.got.push_back({p.type, p.rid, {p.payload.begin(), p.payload.end()}});
    });
    return {route_id{base}, route_id{key}};
  }

  void settle() { net.advance(200ms); }
};

std::vector<uint8_t> payload(size_t n, uint8_t seed) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

} // namespace

TEST_CASE("router over 3 and 5 visors: packets rewritten hop by hop, both ways") {
  for (size_t n : {size_t{3}, size_t{5}}) {
    CAPTURE(n);
    chain c{n};
    auto [fwd, consume] = c.route(0, n - 1, 100);
    auto [back, back_consume] = c.route(n - 1, 0, 200);
    // every hop holds only its own rule: key + next route + next transport
    for (size_t i = 1; i + 1 < n; ++i) {
      auto rules = c.v[i]->table->rules();
      REQUIRE(rules.size() == 2);
      CHECK(rules[0].type == wr::rule_type::intermediary_forward);
      CHECK(rules[0].next_transport == c.tps[i]);
      CHECK(rules[1].next_transport == c.tps[i - 1]);
    }
    const size_t count = 50;
    for (size_t k = 0; k < count; ++k) {
      auto a = payload(10 + k * 37, static_cast<uint8_t>(k));
      REQUIRE(c.v[0]->core->send(fwd, wr::packet_type::data, a) == router_core::write_result::ok);
      auto b = payload(5 + k, static_cast<uint8_t>(k + 100));
      REQUIRE(c.v[n - 1]->core->send(back, wr::packet_type::data, b) == router_core::write_result::ok);
    }
    // handshake, ping, keep-alive travel the same way
    auto ping = wr::make_ping_packet(route_id{0}, 1234, 5);
    REQUIRE(c.v[0]->core->send(fwd, wr::packet_type::ping, ping.payload) == router_core::write_result::ok);
    REQUIRE(c.net.run_until([&] { return c.v[n - 1]->got.size() == count + 1 && c.v[0]->got.size() == count; }, 10s));
    for (size_t k = 0; k < count; ++k) {
      auto& r = c.v[n - 1]->got[k];
      CHECK(r.type == wr::packet_type::data);
      CHECK(r.rid == consume); // the ID the destination reserved, rewritten at every hop
      CHECK(r.payload == payload(10 + k * 37, static_cast<uint8_t>(k)));
      auto& l = c.v[0]->got[k];
      CHECK(l.rid == back_consume);
      CHECK(l.payload == payload(5 + k, static_cast<uint8_t>(k + 100)));
    }
    CHECK(c.v[n - 1]->got[count].type == wr::packet_type::ping);
    CHECK(c.v[n - 1]->got[count].payload == ping.payload);
    for (size_t i = 1; i + 1 < n; ++i) {
      auto s = c.v[i]->core->stats();
      CHECK(s.forwarded == 2 * count + 1);
      CHECK(s.dropped() == 0);
      CHECK(s.delivered == 0);
    }
    CHECK(c.v[n - 1]->core->stats().delivered == count + 1);
    CHECK(c.v[0]->core->stats().delivered == count);
  }
}

TEST_CASE("router over 5 visors on slow links: delay, a bandwidth cap, small chunks; all in order") {
  faults f;
  f.delay = 3ms;
  f.bandwidth = 2'000'000;
  f.mtu = 500;
  chain c{5, f};
  auto [fwd, consume] = c.route(0, 4, 300);
  const size_t count = 200;
  size_t sent = 0;
  // a sender that meets back-pressure waits for the queue (virtual time), never drops
  while (sent < count) {
    auto p = payload(100 + (sent * 53) % 3000, static_cast<uint8_t>(sent));
    auto r = c.v[0]->core->send(fwd, wr::packet_type::data, p);
    if (r == router_core::write_result::queue_full) {
      c.net.advance(10ms);
      continue;
    }
    REQUIRE(r == router_core::write_result::ok);
    ++sent;
  }
  REQUIRE(c.net.run_until([&] { return c.v[4]->got.size() == count; }, 60s));
  for (size_t k = 0; k < count; ++k)
    CHECK(c.v[4]->got[k].payload == payload(100 + (k * 53) % 3000, static_cast<uint8_t>(k)));
  for (size_t i = 1; i < 4; ++i) {
    CHECK(c.v[i]->core->stats().forwarded == count);
    CHECK(c.v[i]->core->stats().dropped() == 0);
  }
}

TEST_CASE("router: a Close is forwarded and deletes every transit rule") {
  chain c{5};
  auto [fwd, consume] = c.route(0, 4, 10);
  auto close = wr::make_close_packet(route_id{0}, wr::close_code::requested);
  REQUIRE(c.v[0]->core->send(fwd, wr::packet_type::close, close.payload) == router_core::write_result::ok);
  REQUIRE(c.net.run_until([&] { return c.v[4]->got.size() == 1; }, 10s));
  CHECK(c.v[4]->got[0].type == wr::packet_type::close);
  CHECK(c.v[4]->got[0].rid == consume);
  for (size_t i = 1; i < 4; ++i) {
    CHECK(c.v[i]->table->size() == 0);
    CHECK(c.v[i]->core->stats().closes_forwarded == 1);
  }
  // the endpoints' own rules stay: their route groups remove them
  CHECK(c.v[0]->table->size() == 1);
  CHECK(c.v[4]->table->size() == 1);
  // the route is gone in the middle: a later packet is counted at the first transit hop
  REQUIRE(c.v[0]->core->send(fwd, wr::packet_type::data, payload(8, 1)) == router_core::write_result::ok);
  c.settle();
  CHECK(c.v[1]->core->stats().unknown_route == 1);
  CHECK(c.v[4]->got.size() == 1);
}

TEST_CASE("router: unknown and expired routes counted, the sweep removes expired rules") {
  chain c{3};
  auto [fwd, consume] = c.route(0, 2, 40, 10s);
  // a route ID nobody installed, sent raw on the first transport
  auto junk = payload(16, 9);
  REQUIRE(c.v[0]->links->send(c.tps[0], wr::packet_type::data, route_id{777}, junk)
          == tp::transport_core::write_result::ok);
  c.settle();
  CHECK(c.v[1]->core->stats().unknown_route == 1);

  // 8 s of silence, then traffic: alive (refreshed at each hop)
  c.net.advance(8s);
  REQUIRE(c.v[0]->core->send(fwd, wr::packet_type::keep_alive, {}) == router_core::write_result::ok);
  REQUIRE(c.net.run_until([&] { return c.v[2]->got.size() == 1; }, 5s));
  // 12 s more with nothing: every rule is past its keep-alive
  c.net.advance(12s);
  CHECK(c.v[0]->core->send(fwd, wr::packet_type::data, junk) == router_core::write_result::closed);
  // the transit rule still exists but is invisible: a packet for it is counted as expired
  REQUIRE(c.v[0]->links->send(c.tps[0], wr::packet_type::data, route_id{41}, junk)
          == tp::transport_core::write_result::ok);
  c.settle();
  CHECK(c.v[1]->core->stats().expired_rule == 1);
  CHECK(c.v[1]->core->stats().forwarded == 1);
  CHECK(c.v[2]->got.size() == 1);
  for (auto& x : c.v) {
    auto swept = x->table->sweep();
    CHECK(swept.size() == 1);
    CHECK(x->table->size() == 0);
  }
}

TEST_CASE("router: back on the incoming transport, a missing next transport, no endpoint") {
  chain c{3};
  // visor 1: route 50 goes back on tps[0], where it comes from, as 51 (the
  // reference's ping loop 0 -> 1 -> 0 turns around so): forwarded; visor 0
  // consumes 51
  REQUIRE_FALSE(c.v[1]->table->install(wr::make_intermediary_rule(30s, route_id{50}, route_id{51}, c.tps[0])));
  wr::route_descriptor loop_desc{c.v[0]->keys.pk, c.v[0]->keys.pk, port{48}, port{49153}};
  REQUIRE_FALSE(c.v[0]->table->install(wr::make_consume_rule(30s, route_id{51}, loop_desc)));
  // route 60 leads to a transport visor 1 does not have
  transport_id nowhere;
  nowhere.bytes.fill(0xee);
  REQUIRE_FALSE(c.v[1]->table->install(wr::make_intermediary_rule(30s, route_id{60}, route_id{61}, nowhere)));
  // route 70 is consumed at visor 1, but no route group registered for it
  wr::route_descriptor d{c.v[0]->keys.pk, c.v[1]->keys.pk, port{1}, port{2}};
  REQUIRE_FALSE(c.v[1]->table->install(wr::make_consume_rule(30s, route_id{70}, d)));
  auto p = payload(4, 1);
  for (uint32_t rid : {50u, 60u, 70u})
    REQUIRE(c.v[0]->links->send(c.tps[0], wr::packet_type::data, route_id{rid}, p)
            == tp::transport_core::write_result::ok);
  c.settle();
  auto s = c.v[1]->core->stats();
  CHECK(s.forwarded == 1); // route 50, back to visor 0 as 51
  CHECK(s.no_transport == 1);
  CHECK(s.no_endpoint == 1);
  CHECK(s.dropped() == 2);
  // at visor 0, 51 is a consume rule without a route group here: counted there
  CHECK(c.v[0]->core->stats().no_endpoint == 1);
  // once the transport goes, sends on it fail and packets for it are counted
  c.v[1]->links->remove(c.tps[1]);
  REQUIRE_FALSE(c.v[1]->table->install(wr::make_intermediary_rule(30s, route_id{80}, route_id{81}, c.tps[1])));
  REQUIRE(c.v[0]->links->send(c.tps[0], wr::packet_type::data, route_id{80}, p)
          == tp::transport_core::write_result::ok);
  c.settle();
  CHECK(c.v[1]->core->stats().no_transport == 2);
}

TEST_CASE("router: route 0 stays the transport's own (its ping is answered, never routed)") {
  chain c{2};
  auto& [a, b] = c.links[0];
  auto dropped_before = a->packets_dropped();
  REQUIRE(a->ping(42) == tp::transport_core::write_result::ok);
  c.settle();
  // b answered with a Pong on route 0 (a has no actor to report it to: counted there)
  CHECK(a->packets_dropped() == dropped_before + 1);
  CHECK(c.v[1]->core->stats().unknown_route == 0);
  CHECK(c.v[0]->core->stats().unknown_route == 0);
  (void)b;
}
