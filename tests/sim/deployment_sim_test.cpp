// Ten visors in a mesh with a deployment (route finder, setup node), in one
// simulated world on a virtual clock (tests/sim/deployment.hpp says which
// code is the production code: the router state, transports, route group
// cores, route finder graph, setup node validation and rule generation, the
// gateway whitelist, the path choice and registry; the actors around them
// are driven by the harness as the route manager drives them, because their
// timers run on CAF's clock, not the virtual one). Issue 10's simulation
// items: routes of 1, 2, 3 and 5 hops both ways with each transit visor's
// rules naming only its previous and next hop; 1000 route setups with 5 %
// loss and delay on every link; a cut transport re-established with no byte
// lost or repeated (and a clean error when no path is left); expired rules
// swept; refusals (whitelist, a key visited twice); uniform cells seen at
// the transport layer; a multipath group that keeps its stream when a path
// is cut. Deterministic: seeded, no sockets, no sleeps.
#include <doctest/doctest.h>

#include <random>

#include "tests/sim/deployment.hpp"

using namespace dep;

namespace {

/// Walks a path's rules from the rule keyed `key` at visor `from`: each
/// transit visor holds an intermediary rule that names only the next hop
/// (next route ID, next transport: the path's next transport) and no
/// descriptor; the chain ends at the last visor's consume rule `consume`.
void check_chain(deployment& d, size_t from, route_id key, const path& hops, route_id consume) {
  REQUIRE(!hops.empty());
  auto r = d.v[from]->router->table()->get(key);
  REQUIRE(r);
  CHECK(r->type == wr::rule_type::forward);
  CHECK(r->next_transport == hops[0].tp_id);
  auto next = r->next_route;
  for (size_t i = 1; i < hops.size(); ++i) {
    auto at = d.visor_of(hops[i].from);
    auto t = d.v[at]->router->table()->get(next);
    REQUIRE(t);
    CHECK(t->type == wr::rule_type::intermediary_forward);
    CHECK_FALSE(t->has_descriptor());
    CHECK(t->next_transport == hops[i].tp_id); // the next hop
    // the transport it names joins this visor and the path's next visor
    auto& tp = d.tps[d.tp_index(t->next_transport)];
    auto nxt = d.visor_of(hops[i].to);
    CHECK(((tp.a == at && tp.b == nxt) || (tp.b == at && tp.a == nxt)));
    next = t->next_route;
  }
  auto last = d.visor_of(hops.back().to);
  auto c = d.v[last]->router->table()->get(next);
  REQUIRE(c);
  CHECK(c->type == wr::rule_type::consume);
  CHECK(next == consume);
}

} // namespace

TEST_CASE("deployment: routes of 1, 2, 3 and 5 hops carry data both ways; transit rules name only their hops") {
  faults f{.delay = 2ms};
  deployment d{10, ten_visor_mesh(), f};
  const std::pair<size_t, uint16_t> routes[] = {{1, 1}, {2, 2}, {5, 3}, {5, 5}};
  uint16_t dst_port = 100;
  for (auto [dst, hops] : routes) {
    CAPTURE(hops);
    auto g = d.dial(0, dst, hops, hops, dst_port++);
    auto peer = d.establish(g);
    REQUIRE(g->paths.size() == 1);
    CHECK(g->paths[0].forward.size() == hops);
    CHECK(g->paths[0].reverse.size() == hops);
    // the rules, hop by hop, both ways
    check_chain(d, 0, g->paths[0].fwd, g->paths[0].forward, peer->paths[0].consume);
    check_chain(d, dst, peer->paths[0].fwd, g->paths[0].reverse, g->paths[0].consume);
    // a transit visor holds this route's two rules and nothing of its ends
    for (size_t i = 1; i < g->paths[0].forward.size(); ++i) {
      auto at = d.visor_of(g->paths[0].forward[i].from);
      for (auto& r : d.v[at]->router->table()->rules())
        CHECK(r.type == wr::rule_type::intermediary_forward);
    }
    auto ab = pattern(60'000, hops);
    auto ba = pattern(40'000, hops + 100u);
    d.send_all(g, ab);
    d.send_all(peer, ba);
    REQUIRE(d.net.run_until([&] { return peer->got.size() >= ab.size() && g->got.size() >= ba.size(); }, 30s));
    CHECK(peer->got == ab);
    CHECK(g->got == ba);
    // every transit visor forwarded, none decrypted: the payload is opaque to them
    for (size_t i = 1; i < g->paths[0].forward.size(); ++i)
      CHECK(d.v[d.visor_of(g->paths[0].forward[i].from)]->router->core()->stats().forwarded > 0);
    g->c->close();
    REQUIRE(d.net.run_until([&] { return g->has(core::event::closed) && peer->has(core::event::remote_closed); }, 5s));
    d.forget(*g);
    d.forget(*peer);
  }
  // the Close packets deleted the transit rules, the ends removed theirs
  CHECK(d.rules_total() == 0);
}

TEST_CASE("deployment: 1000 route setups with 5% loss and delay on every link") {
  faults f{.delay = 2ms, .jitter = 1ms, .loss = 0.05};
  deployment d{10, ten_visor_mesh(), f, 2026};
  // the destinations a route of exactly h hops can reach from each visor
  const uint16_t hop_counts[] = {1, 2, 3, 5};
  std::map<std::pair<size_t, uint16_t>, std::vector<size_t>> reach;
  for (size_t s = 0; s < 10; ++s)
    for (auto h : hop_counts)
      for (size_t t = 0; t < 10; ++t)
        if (t != s && !d.find(s, t, h, h).empty() && !d.find(t, s, h, h).empty())
          reach[{s, h}].push_back(t);
  std::mt19937_64 rng{99};
  struct run {
    group_ptr g, peer;
    byte_buffer ab, ba;
    int stage = 0; // 0 dialing, 1 data, 2 closing
    size_t hops = 0;
  };
  const size_t total = 1000, parallel = 16;
  size_t started = 0, setups_ok = 0, setups_failed = 0, data_ok = 0, data_bad = 0;
  size_t clean_closes = 0;
  uint64_t bytes_checked = 0;
  std::vector<run> active;
  std::map<size_t, size_t> by_hops;
  while (started < total || !active.empty()) {
    while (started < total && active.size() < parallel) {
      auto h = hop_counts[started % 4];
      auto s = static_cast<size_t>(rng() % 10);
      auto& ds = reach[{s, h}];
      REQUIRE_FALSE(ds.empty());
      auto t = ds[rng() % ds.size()];
      run r;
      r.hops = h;
      r.g = d.dial(s, t, h, h, static_cast<uint16_t>(1000 + started));
      r.ab = pattern(2000 + rng() % 6000, static_cast<uint32_t>(started));
      r.ba = pattern(1000 + rng() % 6000, static_cast<uint32_t>(started + 7777));
      active.push_back(std::move(r));
      ++started;
    }
    d.net.advance(5ms);
    REQUIRE(d.net.now() < 3600s);
    for (auto it = active.begin(); it != active.end();) {
      auto& r = *it;
      bool done = false;
      if (r.stage == 0) {
        if (r.g->up() && (r.peer = d.peer_of(r.g)) && r.peer->up()) {
          ++setups_ok;
          ++by_hops[r.hops];
          d.send_all(r.g, r.ab);
          d.send_all(r.peer, r.ba);
          r.stage = 1;
        } else if (r.g->ended() || r.g->has(core::event::failed)) {
          ++setups_failed;
          MESSAGE("setup failed: " << describe(r.g->err));
          done = true;
        }
      } else if (r.stage == 1) {
        if (r.peer->got.size() >= r.ab.size() && r.g->got.size() >= r.ba.size()) {
          if (r.peer->got == r.ab && r.g->got == r.ba)
            ++data_ok;
          else
            ++data_bad;
          bytes_checked += r.ab.size() + r.ba.size();
          r.g->c->close();
          r.stage = 2;
        } else if (r.g->ended() || r.peer->ended()) {
          ++data_bad;
          done = true;
        }
      } else if (r.g->ended()) {
        // the peer answered our Close (or, its answer lost, ends on its own later)
        if (r.peer->has(core::event::remote_closed))
          ++clean_closes;
        done = true;
      }
      if (done) {
        d.forget(*r.g);
        if (r.peer)
          d.forget(*r.peer);
        it = active.erase(it);
      } else {
        ++it;
      }
    }
  }
  uint64_t lost = d.packets_lost, sent = d.packets_carried;
  MESSAGE("route setups: " << setups_ok << "/" << total << " succeeded (1 hop " << by_hops[1]
          << ", 2 hops " << by_hops[2] << ", 3 hops " << by_hops[3] << ", 5 hops " << by_hops[5]
          << "); data checked on " << data_ok << " routes (" << bytes_checked << " bytes); "
          << lost << " of " << sent << " routing packets lost; " << clean_closes
          << " closes answered; virtual time "
          << std::chrono::duration_cast<std::chrono::milliseconds>(d.net.now()).count() << " ms");
  CHECK(setups_ok >= 999);
  CHECK(setups_ok + setups_failed == total);
  CHECK(data_bad == 0);
  CHECK(data_ok == setups_ok);
  CHECK(lost > 0);
}

TEST_CASE("deployment: a transport cut on the path: the route is set up again, no byte lost or repeated") {
  for (bool first_hop : {false, true}) {
    CAPTURE(first_hop);
    faults f{.delay = 3ms, .bandwidth = 5'000'000};
    deployment d{10, ten_visor_mesh(), f};
    auto g = d.dial(0, 5, 3, 3, 80);
    auto peer = d.establish(g);
    auto first = g->paths[0];
    auto ab = pattern(500'000, 1);
    auto ba = pattern(150'000, 2);
    d.send_all(g, {ab.begin(), ab.begin() + 250'000});
    d.send_all(peer, ba);
    d.net.advance(25ms);
    CHECK(peer->got.size() > 0);
    CHECK(peer->got.size() < 250'000);
    // a transport of the path dies (the middle one, or the dialer's own)
    auto cut = d.tp_index(first.forward[first_hop ? 0 : 1].tp_id);
    d.cut(cut);
    d.send_all(g, {ab.begin() + 250'000, ab.end()});
    REQUIRE(d.net.run_until([&] { return peer->got.size() >= ab.size() && g->got.size() >= ba.size(); }, 60s));
    CHECK(peer->got == ab); // in order, nothing lost, nothing twice
    CHECK(g->got == ba);
    CHECK(g->redials >= 1);
    CHECK(g->paths_lost >= 1);
    CHECK(g->up());
    CHECK(peer->up());
    // the route now runs on a path without the cut transport, at both ends
    REQUIRE(g->paths.size() == 1);
    CHECK(path_transports(g->paths[0].forward).count(d.tps[cut].t.id) == 0);
    CHECK(g->paths[0].fwd != first.fwd);
    CHECK(g->c->live_paths() == 1);
    CHECK(peer->paths.size() >= 1);
    // the old path's rules are gone at the dialer
    CHECK_FALSE(d.v[0]->router->table()->get(first.fwd));
    MESSAGE("re-established after a cut of the " << std::string{first_hop ? "first" : "middle"}
            << " transport: " << g->redials << " dial(s), " << g->c->counters().retransmits
            << " retransmissions");
  }
}

TEST_CASE("deployment: a route with no path left ends with a clean error, never silently") {
  faults f{.delay = 3ms};
  deployment d{10, ten_visor_mesh(), f};
  d.redial_give_up = 3s;
  auto g = d.dial(0, 5, 3, 3, 81);
  auto peer = d.establish(g);
  auto data = pattern(100'000, 3);
  d.send_all(g, data);
  // every transport of visor 5 dies: no path to it is left
  for (size_t i = 0; i < d.tps.size(); ++i)
    if (d.tps[i].a == 5 || d.tps[i].b == 5)
      d.cut(i);
  REQUIRE(d.net.run_until([&] { return g->ended(); }, 60s));
  CHECK(g->has(core::event::failed));
  CHECK(is(g->err, route_group_errc::unreachable));
  CHECK(describe(g->err).find("no other path") != std::string::npos);
  CHECK(g->redial_failures >= 1);
  CHECK(d.net.now() < 30s); // the dialer's bound, before the group's own 30 s give-up
  // the app's writes are refused from now on: nothing is taken and dropped
  CHECK(g->c->write({data.data(), 10}) == core::write_result::failed);
}

TEST_CASE("deployment: expired rules are swept; a route with traffic keeps its rules") {
  faults f{.delay = 2ms};
  deployment d{10, ten_visor_mesh(), f};
  d.keep_alive = 4s;
  auto live = d.dial(0, 5, 3, 3, 90);
  auto live_peer = d.establish(live);
  auto dead = d.dial(1, 6, 3, 3, 91);
  auto dead_peer = d.establish(dead);
  size_t before = d.rules_total();
  CHECK(before == 2 * 2 * (3 + 1));
  // the second route's ends vanish without a Close (their visors' apps
  // crashed): nothing refreshes its rules any more
  dead->c.reset();
  dead_peer->c.reset();
  std::vector<wr::rule> swept;
  for (int s = 0; s < 4; ++s) { // 4 sweeps, 5 s apart (the reference's interval)
    for (int k = 0; k < 10; ++k) {
      auto m = pattern(100, static_cast<uint32_t>(s * 10 + k));
      REQUIRE(live->c->write({m.data(), m.size()}) == core::write_result::ok);
      REQUIRE(live_peer->c->write({m.data(), m.size()}) == core::write_result::ok);
      d.net.advance(rule_table::sweep_interval / 10);
    }
    for (auto& x : d.v)
      for (auto& r : x->router->sweep())
        swept.push_back(r);
  }
  CHECK(swept.size() == 2 * (3 + 1)); // every rule of the dead route, nothing else
  CHECK(d.rules_total() == before - swept.size());
  CHECK(d.rules_total() == 2 * (3 + 1));
  CHECK(live->up());
  CHECK(live_peer->got.size() == 4 * 10 * 100);
  for (auto& r : swept)
    CHECK((r.type != wr::rule_type::consume || r.desc == dead->desc || r.desc.src_pk == d.v[6]->keys.pk));
}

TEST_CASE("deployment: rules from a key not in the whitelist, and routes visiting a key twice, are refused") {
  deployment d{10, ten_visor_mesh(), faults{.delay = 2ms}};
  auto rogue = identity("not a setup node");
  auto fwd = d.find(0, 5, 3, 3).front();
  auto rev = d.find(5, 0, 3, 3).front();
  rs::bidirectional_route r;
  r.desc = wr::route_descriptor{d.v[0]->keys.pk, d.v[5]->keys.pk, port{49152}, port{70}};
  r.keep_alive_ns = int64_t{30'000'000'000};
  r.forward = fwd;
  r.reverse = rev;
  SUBCASE("a setup node the visors do not trust") {
    std::optional<expected<rs::edge_rules>> got;
    d.setup(r, rogue.pk, [&](expected<rs::edge_rules> e) { got = std::move(e); });
    REQUIRE(d.net.run_until([&] { return got.has_value(); }, 5s));
    REQUIRE_FALSE(*got);
    CHECK(describe(got->error()).find("failure code 4") != std::string::npos);
    CHECK(describe(got->error()).find("route_setup_nodes") != std::string::npos);
    // and directly: intermediary and edge rules from that key
    auto rule = wr::make_intermediary_rule(30s, route_id{1}, route_id{2}, fwd[1].tp_id);
    CHECK(d.gateway(1, rogue.pk, [&](router_state& x) { return x.add_intermediary_rules(rogue.pk, {rule}); }));
    size_t refused = 0;
    for (auto& x : d.v) {
      refused += x->refused_calls;
      CHECK(x->router->pool().last() == 0); // not even an ID reserved
    }
    CHECK(refused >= 2);
    CHECK(d.rules_total() == 0);
    // the same route from the trusted node is set up
    got.reset();
    d.setup(r, d.setup_keys.pk, [&](expected<rs::edge_rules> e) { got = std::move(e); });
    REQUIRE(d.net.run_until([&] { return got.has_value(); }, 5s));
    CHECK(*got);
  }
  SUBCASE("a route that visits a key twice") {
    // 0 -> 1 -> 2 -> 1 -> 8 ... : visor 1 twice (the transport 1-2 used both ways)
    auto hop = [&](size_t a, size_t b) {
      for (auto& t : d.tps)
        if ((t.a == a && t.b == b) || (t.a == b && t.b == a))
          return wire::rpc::route_setup::hop{t.t.id, d.v[a]->keys.pk, d.v[b]->keys.pk};
      FAIL("no transport");
      return wire::rpc::route_setup::hop{};
    };
    rs::bidirectional_route loop;
    loop.desc = wr::route_descriptor{d.v[0]->keys.pk, d.v[8]->keys.pk, port{49152}, port{71}};
    loop.keep_alive_ns = int64_t{30'000'000'000};
    loop.forward = {hop(0, 1), hop(1, 2), hop(2, 1), hop(1, 8)};
    loop.reverse = {hop(8, 1), hop(1, 0)};
    std::optional<expected<rs::edge_rules>> got;
    d.setup(loop, d.setup_keys.pk, [&](expected<rs::edge_rules> e) { got = std::move(e); });
    REQUIRE(d.net.run_until([&] { return got.has_value(); }, 5s));
    REQUIRE_FALSE(*got);
    CHECK(describe(got->error()).find("failure code 2") != std::string::npos);
    for (auto& x : d.v)
      CHECK(x->router->pool().last() == 0);
    CHECK(d.rules_total() == 0);
    // the route finder never offers such a path
    for (auto& p : d.find(0, 8, 1, 8)) {
      std::set<public_key> keys{p.front().from};
      for (auto& h : p)
        CHECK(keys.insert(h.to).second);
    }
  }
}

TEST_CASE("deployment: with cells on, every route packet a transport carries has the same length") {
  deployment d{10, ten_visor_mesh(), faults{.delay = 2ms}};
  d.offer = wr::group_options{.reliable = true, .cell_size = 1024};
  auto g = d.dial(0, 5, 3, 3, 60);
  auto peer = d.establish(g);
  REQUIRE(g->c->options().cell_size == 1024);
  d.net.advance(100ms); // the handshake's last packets are through
  d.observe = true;
  for (size_t n : {1, 17, 999, 1000, 4000, 20'000, 70'000}) {
    d.send_all(g, pattern(n, static_cast<uint32_t>(n)));
    d.send_all(peer, pattern(n / 2 + 1, static_cast<uint32_t>(n + 1)));
  }
  d.net.advance(20s); // pings, keep-alives and acks in band
  d.observe = false;
  std::set<size_t> sizes;
  std::set<size_t> transports;
  for (auto& c : d.seen) {
    sizes.insert(c.size);
    transports.insert(c.tp);
  }
  CHECK(sizes == std::set<size_t>{wr::packet_header_size + 1024});
  CHECK(d.seen.size() > 500);
  // every transport of both paths carried them
  for (auto& h : g->paths[0].forward)
    CHECK(transports.count(d.tp_index(h.tp_id)) == 1);
  for (auto& h : g->paths[0].reverse)
    CHECK(transports.count(d.tp_index(h.tp_id)) == 1);
}

TEST_CASE("deployment: a multipath group keeps its stream when one path is cut") {
  faults f{.delay = 3ms, .bandwidth = 5'000'000};
  deployment d{10, ten_visor_mesh(), f};
  auto g = d.dial(0, 5, 2, 5, 50);
  auto peer = d.establish(g);
  // a second path, disjoint from the first
  std::optional<caf::error> added;
  d.add_path(g, std::nullopt, path_transports(g->paths[0].forward),
             [&](caf::error err) { added = err; });
  REQUIRE(d.net.run_until([&] { return added.has_value(); }, 5s));
  REQUIRE_FALSE(*added);
  REQUIRE(g->paths.size() == 2);
  REQUIRE(peer->paths.size() == 2); // the destination took it as a path of the same group
  CHECK(d.v[5]->accepted.size() == 1);
  auto p0 = path_transports(g->paths[0].forward);
  for (auto& t : path_transports(g->paths[1].forward))
    CHECK(p0.count(t) == 0);
  CHECK(g->c->live_paths() == 2);
  auto ab = pattern(800'000, 10);
  auto ba = pattern(200'000, 11);
  d.observe = true;
  d.send_all(g, {ab.begin(), ab.begin() + 300'000});
  d.send_all(peer, ba);
  d.net.advance(100ms);
  // data went both ways round
  std::map<size_t, size_t> per_tp;
  for (auto& c : d.seen)
    ++per_tp[c.tp];
  CHECK(per_tp[d.tp_index(g->paths[0].forward[0].tp_id)] > 10);
  CHECK(per_tp[d.tp_index(g->paths[1].forward[0].tp_id)] > 10);
  d.observe = false;
  // the first path's middle transport dies
  auto cut = d.tp_index(g->paths[0].forward[1].tp_id);
  d.cut(cut);
  d.send_all(g, {ab.begin() + 300'000, ab.end()});
  REQUIRE(d.net.run_until([&] { return peer->got.size() >= ab.size() && g->got.size() >= ba.size(); }, 60s));
  CHECK(peer->got == ab); // in order, nothing lost, nothing twice
  CHECK(g->got == ba);
  CHECK(g->up());
  CHECK(g->redials == 0); // the other path carried the stream: no new dial needed
  // the cut path goes silent: reported, and dropped (the other one lives)
  d.net.advance(10s);
  CHECK(g->up());
  CHECK(g->paths_lost >= 1);
  CHECK(g->c->live_paths() == 1);
  CHECK(g->c->counters().retransmits > 0);
}
