// The setup node and the visor's setup client over a real dmsg server on
// loopback, against fake visor gateways (test dmsg clients answering the gob
// RPC on port 136): routes of 1, 2, 3 and 5 hops, the reference's bytes, a
// refusing and a silent hop, lost answers, repeats, hostile input.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include <caf/after.hpp>

#include "actors/routing/setup_client.hpp"
#include "actors/services/setup_node/setup_node.hpp"
#include "tests/actors/services/setup_node/fake_gateway.hpp"
#include "tests/messages/gob/vectors.hpp"
#include "tests/support/dmsg_net.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace sn = skywire::services::setup_node;
namespace rt = skywire::routing;
namespace dn = skywire::test::dmsg_net;
using skywire::test::setup_node::fake_gateway;
using skywire::test::setup_node::gateway_log;
using skywire::test::setup_node::gateway_mode;
using skywire::test::setup_node::gateway_options;
namespace rs = wire::rpc::route_setup;
namespace wr = wire::routing;

namespace {

struct visor {
  public_key pk;
  api::dmsg_client_actor client;
  std::shared_ptr<gateway_log> log = std::make_shared<gateway_log>();
};

struct world {
  dn::net net;
  api::dmsg_client_actor node_client;
  public_key node_pk;
  caf::actor node;
  std::map<std::string, visor> visors;

  explicit world(sn::setup_node_config cfg = {}) {
    net.server("setup-srv");
    net.wait_server_registered(1);
    node_pk = dn::kp("setup-node").pk;
    node_client = net.client(net.client_cfg("setup-node"));
    node = sn::spawn_setup_node(net.sys, node_client, cfg);
    net.actors.push_back(node);
    caf::scoped_actor self{net.sys};
    bool ok = false;
    self->request(node, 10s, api::ready_atom::value)
      .receive([&](api::ok_atom) { ok = true; }, [&](caf::error& e) { FAIL(describe(e)); });
    REQUIRE(ok);
  }

  visor& add(const std::string& seed, gateway_options opt = {}) {
    auto& v = visors[seed];
    v.pk = dn::kp(seed).pk;
    v.client = net.client(net.client_cfg(seed));
    auto gw = net.sys.spawn<fake_gateway>(v.log, opt);
    net.actors.push_back(gw);
    dn::listen(net.sys, v.client, 136, gw);
    return v;
  }

  sn::setup_node_stats stats() {
    caf::scoped_actor self{net.sys};
    sn::setup_node_stats out;
    self->request(node, 5s, api::info_atom::value)
      .receive([&](sn::setup_node_stats& s) { out = s; }, [&](caf::error& e) { FAIL(describe(e)); });
    return out;
  }

  caf::actor setup_client(const std::string& seed, rt::setup_client_config cfg = {}) {
    if (cfg.setup_nodes.empty())
      cfg.setup_nodes = {node_pk};
    auto c = rt::spawn_setup_client(net.sys, visors.at(seed).client, cfg);
    net.actors.push_back(c);
    return c;
  }
};

transport_id tp(uint8_t a, uint8_t b) {
  transport_id t;
  t.bytes[0] = a;
  t.bytes[1] = b;
  t.bytes[15] = 0x5a;
  return t;
}

/// A route along `path` and back on the same transports.
rs::bidirectional_route make_route(const std::vector<public_key>& path, uint16_t src_port = 49152,
                                   uint16_t dst_port = 44) {
  rs::bidirectional_route r;
  r.desc = {path.front(), path.back(), port{src_port}, port{dst_port}};
  r.keep_alive_ns = 30'000'000'000;
  for (size_t i = 0; i + 1 < path.size(); ++i)
    r.forward.push_back({tp(static_cast<uint8_t>(i + 1), 1), path[i], path[i + 1]});
  for (size_t i = path.size() - 1; i > 0; --i)
    r.reverse.push_back({tp(static_cast<uint8_t>(i), 1), path[i], path[i - 1]});
  return r;
}

expected<rs::edge_rules> setup(world& w, const caf::actor& client, const rs::bidirectional_route& r,
                               std::chrono::seconds t = 60s) {
  caf::scoped_actor self{w.net.sys};
  expected<rs::edge_rules> out = caf::error{};
  self->request(client, t, rt::setup_route_atom::value, r)
    .receive([&](rs::edge_rules& e) { out = std::move(e); },
             [&](caf::error& e) { out = std::move(e); });
  return out;
}

/// Three visors <p>a -> <p>b -> <p>c with the given gateways, and the
/// answer to a route over them requested by <p>a.
struct three_visors {
  visor *a, *b, *c;
  expected<rs::edge_rules> result = caf::error{};
};

three_visors route_through(world& w, const std::string& p, gateway_options b_opt,
                           gateway_options c_opt = {}) {
  three_visors t;
  t.a = &w.add(p + "a");
  t.b = &w.add(p + "b", b_opt);
  t.c = &w.add(p + "c", c_opt);
  auto client = w.setup_client(p + "a");
  t.result = setup(w, client, make_route({t.a->pk, t.b->pk, t.c->pk}));
  return t;
}

const visor& by_pk(world& w, const public_key& pk) {
  for (auto& [n, v] : w.visors)
    if (v.pk == pk)
      return v;
  FAIL("no visor " << pk.hex());
  return w.visors.begin()->second;
}

bool holds(gateway_log& log, route_id id) {
  std::lock_guard g{log.m};
  return std::find(log.reserved.begin(), log.reserved.end(), id) != log.reserved.end();
}

/// Walks one direction's rules hop by hop: every rule's key is an id its
/// holder reserved, every next id the next holder's, every transport the
/// hop's, and the walk ends at the far end's consume rule.
void walk(world& w, const std::vector<rs::hop>& path, const wr::rule& first,
          const wr::rule& consume, const wr::route_descriptor& desc) {
  CHECK(first.type == wr::rule_type::forward);
  CHECK(first.desc == desc);
  CHECK(holds(*by_pk(w, path.front().from).log, first.key));
  CHECK(first.next_transport == path.front().tp_id);
  auto key = first.next_route;
  for (size_t k = 1; k < path.size(); ++k) {
    auto& log = *by_pk(w, path[k].from).log;
    CHECK(holds(log, key));
    std::lock_guard g{log.m};
    auto it = std::find_if(log.intermediary.begin(), log.intermediary.end(),
                           [&](const wr::rule& r) { return r.key == key; });
    REQUIRE(it != log.intermediary.end());
    CHECK(it->type == wr::rule_type::intermediary_forward);
    // It names its next hop only: the transport of hop k.
    CHECK(it->next_transport == path[k].tp_id);
    key = it->next_route;
  }
  CHECK(consume.type == wr::rule_type::consume);
  CHECK(consume.key == key);
  CHECK(consume.desc == desc);
  CHECK(holds(*by_pk(w, path.back().to).log, key));
}

} // namespace

TEST_CASE("setup node: routes of 1, 2, 3 and 5 hops get the right rules at every hop") {
  world w;
  std::vector<std::string> names{"v0", "v1", "v2", "v3", "v4", "v5"};
  std::vector<public_key> pks;
  uint32_t base = 100;
  for (auto& n : names) {
    pks.push_back(w.add(n, {base, gateway_mode::ok, 0ms}).pk);
    base += 100;
  }
  auto client = w.setup_client("v0");
  uint16_t src_port = 50000;
  for (size_t hops : {1u, 2u, 3u, 5u}) {
    CAPTURE(hops);
    std::vector<public_key> path(pks.begin(), pks.begin() + static_cast<long>(hops) + 1);
    auto route = make_route(path, src_port++);
    std::map<std::string, size_t> intermediary_before;
    for (auto& [n, v] : w.visors) {
      std::lock_guard g{v.log->m};
      intermediary_before[n] = v.log->intermediary.size();
    }
    auto t0 = std::chrono::steady_clock::now();
    auto e = setup(w, client, route);
    MESSAGE(hops << "-hop route set up in "
                 << std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - t0).count()
                 << " us (dials included)");
    REQUIRE_MESSAGE(e, describe(e.error()));
    CHECK(e->desc == route.desc.inverted());
    auto& dst = by_pk(w, path.back());
    REQUIRE(dst.log->wait([](gateway_log& l) { return l.edge.has_value(); }));
    rs::edge_rules dst_edge;
    {
      std::lock_guard g{dst.log->m};
      dst_edge = *dst.log->edge;
    }
    CHECK(dst_edge.desc == route.desc);
    walk(w, route.forward, e->forward, dst_edge.reverse, route.desc);
    walk(w, route.reverse, dst_edge.forward, e->reverse, route.desc.inverted());
    // Transit visors got exactly their two rules (one per direction); the
    // endpoints none over AddIntermediaryRules.
    for (size_t k = 0; k < path.size(); ++k) {
      auto& v = by_pk(w, path[k]);
      std::lock_guard g{v.log->m};
      auto name = names[k];
      auto added = v.log->intermediary.size() - intermediary_before[name];
      CHECK(added == (k == 0 || k + 1 == path.size() ? 0u : 2u));
    }
    std::lock_guard g{dst.log->m};
    dst.log->edge.reset();
  }
  auto st = w.stats();
  CHECK(st.started == 4);
  CHECK(st.succeeded == 4);
  CHECK(st.failed == 0);
}

TEST_CASE("setup node: the reference's 2-hop setup, byte for byte on every channel") {
  auto v = test::load_vectors("skywire/routing.json");
  auto& rpc = v.as_object().at("setup_node_rpc").as_object();
  auto& channels = rpc.at("channels").as_array();
  world w;
  w.add("alice", {11, gateway_mode::ok, 0ms});
  w.add("carol", {21, gateway_mode::ok, 0ms});
  w.add("bob", {31, gateway_mode::ok, 0ms});
  auto request = test::unhexv(channels[0].at("client_to_server_hex"));
  auto expected_reply = test::str(channels[0].at("server_to_client_hex"));

  caf::scoped_actor self{w.net.sys};
  auto s = dn::dial_retry(self, w.visors.at("alice").client, address{w.node_pk, port{36}});
  REQUIRE_MESSAGE(s, describe(s.error()));
  self->send(s->stream, api::set_owner_atom::value, caf::actor_cast<caf::actor>(self));
  self->send(s->stream, api::write_atom::value, request);
  std::vector<uint8_t> got;
  bool timed_out = false;
  while (!timed_out && test::hex(got).size() < expected_reply.size())
    self->receive(
      [&](api::data_atom, std::vector<uint8_t>& b) {
        self->send(s->stream, api::consumed_atom::value, static_cast<uint32_t>(b.size()));
        got.insert(got.end(), b.begin(), b.end());
      },
      [&](api::ack_atom, uint64_t) {}, [&](api::closed_atom, caf::error&) { timed_out = true; },
      caf::after(15s) >> [&] { timed_out = true; });
  CHECK(test::hex(got) == expected_reply);
  self->send(s->stream, api::close_atom::value);

  // What each visor's gateway read from the node: the reference's bytes.
  for (size_t i = 1; i < channels.size(); ++i) {
    auto& ch = channels[i].as_object();
    auto name = test::str(ch.at("server"));
    CAPTURE(name);
    auto& log = *w.visors.at(name).log;
    auto want = test::str(ch.at("client_to_server_hex"));
    REQUIRE(log.wait([&](gateway_log& l) { return test::hex(l.first_stream).size() >= want.size(); }));
    std::lock_guard g{log.m};
    CHECK(test::hex(log.first_stream) == want);
  }
}

TEST_CASE("setup node: a refusing hop fails the route with the reference's codes") {
  SUBCASE("ReserveIDs refused: code 4, no rules anywhere") {
    world w;
    auto t = route_through(w, "r", {1, gateway_mode::refuse_reserve, 0ms});
    auto& e = t.result;
    auto &a = *t.a, &b = *t.b, &c = *t.c;
    REQUIRE_FALSE(e);
    CHECK(rt::is(e.error(), rt::setup_errc::failed));
    CHECK(rt::failure_code_of(e.error()) == rs::failure_code::reserve_route_ids);
    CHECK(describe(e.error()).find("no more route IDs") != std::string::npos);
    for (auto* v : {&a, &b, &c}) {
      CHECK(v->log->count(std::string{rs::add_intermediary_rules_method}) == 0);
      CHECK(v->log->count(std::string{rs::add_edge_rules_method}) == 0);
    }
    CHECK(w.stats().failed == 1);
  }
  SUBCASE("AddIntermediaryRules refused: code 1, installed rules removed, no edge rules") {
    world w;
    auto& a = w.add("fa");
    auto& b = w.add("fb", {200, gateway_mode::ok, 0ms});
    auto& c = w.add("fc", {300, gateway_mode::refuse_rules, 0ms});
    auto& d = w.add("fd");
    auto client = w.setup_client("fa");
    auto e = setup(w, client, make_route({a.pk, b.pk, c.pk, d.pk}));
    REQUIRE_FALSE(e);
    CHECK(rt::failure_code_of(e.error()) == rs::failure_code::add_rules);
    CHECK(d.log->count(std::string{rs::add_edge_rules_method}) == 0);
    // b stored its two rules and is told to remove exactly those.
    REQUIRE(b.log->wait([](gateway_log& l) { return l.removed.size() == 2; }));
    std::lock_guard g{b.log->m};
    REQUIRE(b.log->intermediary.size() == 2);
    std::set<uint32_t> stored{b.log->intermediary[0].key.value, b.log->intermediary[1].key.value};
    std::set<uint32_t> removed{b.log->removed[0].value, b.log->removed[1].value};
    CHECK(stored == removed);
  }
}

TEST_CASE("setup node: a visor that hangs up on the node (not whitelisted) fails the route (code 4)") {
  world w;
  auto t = route_through(w, "h", {}, {1, gateway_mode::hang_up, 0ms});
  auto& e = t.result;
  auto &b = *t.b, &c = *t.c;
  REQUIRE_FALSE(e);
  CHECK(rt::failure_code_of(e.error()) == rs::failure_code::reserve_route_ids);
  CHECK(describe(e.error()).find(c.pk.hex()) != std::string::npos);
  CHECK(b.log->count(std::string{rs::add_intermediary_rules_method}) == 0);
}

TEST_CASE("setup node: a visor that reserves fewer ids than asked fails the route (code 4)") {
  world w;
  auto t = route_through(w, "x", {1, gateway_mode::short_ids, 0ms});
  auto& e = t.result;
  auto& c = *t.c;
  REQUIRE_FALSE(e);
  CHECK(rt::failure_code_of(e.error()) == rs::failure_code::reserve_route_ids);
  CHECK(describe(e.error()).find("asked for 2 ids, got 1") != std::string::npos);
  CHECK(c.log->count(std::string{rs::add_edge_rules_method}) == 0);
}

TEST_CASE("setup node: a transit visor silent on AddIntermediaryRules: code 1, rules removed") {
  sn::setup_node_config cfg;
  cfg.hop_timeout = 700ms;
  world w{cfg};
  auto t = route_through(w, "y", {1, gateway_mode::silent_rules, 0ms});
  auto& e = t.result;
  auto &b = *t.b, &c = *t.c;
  REQUIRE_FALSE(e);
  CHECK(rt::failure_code_of(e.error()) == rs::failure_code::add_rules);
  CHECK(describe(e.error()).find("add intermediary rules at " + b.pk.hex() + ": no answer") != std::string::npos);
  CHECK(c.log->count(std::string{rs::add_edge_rules_method}) == 0);
  REQUIRE(b.log->wait([](gateway_log& l) { return l.removed.size() == 2; }));
  CHECK(w.stats().cleanups == 1);
}

TEST_CASE("setup node: 24 routes from 4 callers at once, every id used once") {
  // Every dmsg dial here is a lookup at the test's dmsg discovery, which
  // admits a bounded number of connections per address (all of ours are
  // 127.0.0.1): the node dials 6 visors at a time, 4 callers set up 6 routes
  // each, one after the other.
  sn::setup_node_config cfg;
  cfg.max_parallel_dials = 6;
  world w{cfg};
  std::vector<public_key> pks;
  for (auto n : {"pa", "pb", "pc", "pd"})
    pks.push_back(w.add(n).pk);
  auto client = w.setup_client("pa");
  constexpr int callers = 4, each = 6, n = callers * each;
  std::vector<expected<rs::edge_rules>> results(n, caf::error{});
  auto t0 = std::chrono::steady_clock::now();
  {
    std::vector<std::thread> threads;
    for (int c = 0; c < callers; ++c)
      threads.emplace_back([&, c] {
        for (int k = 0; k < each; ++k) {
          auto i = c * each + k;
          auto path = i % 2 == 0 ? std::vector<public_key>{pks[0], pks[1], pks[2], pks[3]}
                                 : std::vector<public_key>{pks[0], pks[2], pks[3]};
          results[static_cast<size_t>(i)]
            = setup(w, client, make_route(path, static_cast<uint16_t>(40000 + i)));
        }
      });
    for (auto& t : threads)
      t.join();
  }
  auto took = std::chrono::steady_clock::now() - t0;
  MESSAGE("24 route setups (2 and 3 hops, 4 callers at once) took "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  std::set<uint32_t> src_ids;
  for (auto& e : results) {
    REQUIRE_MESSAGE(e, describe(e.error()));
    CHECK(src_ids.insert(e->forward.key.value).second);
    CHECK(src_ids.insert(e->reverse.key.value).second);
  }
  auto st = w.stats();
  CHECK(st.started == static_cast<uint64_t>(n));
  CHECK(st.succeeded == static_cast<uint64_t>(n));
}

TEST_CASE("setup node: over max_requests a new route is refused at once (code 0), not queued") {
  sn::setup_node_config cfg;
  cfg.max_requests = 1;
  cfg.hop_timeout = 1500ms;
  world w{cfg};
  auto& a = w.add("ba");
  auto& b = w.add("bb", {1, gateway_mode::silent, 0ms});
  auto& c = w.add("bc");
  auto client = w.setup_client("ba");
  expected<rs::edge_rules> first = caf::error{};
  std::thread t{[&] { first = setup(w, client, make_route({a.pk, b.pk, c.pk})); }};
  // The first route holds the only slot while b stays silent.
  REQUIRE(b.log->wait([](gateway_log& l) { return !l.methods.empty(); }));
  auto second = setup(w, client, make_route({a.pk, c.pk}, 49999));
  t.join();
  REQUIRE_FALSE(second);
  CHECK(rt::failure_code_of(second.error()) == rs::failure_code::unknown);
  CHECK(describe(second.error()).find("busy") != std::string::npos);
  REQUIRE_FALSE(first);
  CHECK(rt::failure_code_of(first.error()) == rs::failure_code::reserve_route_ids);
  // The slot is free again.
  CHECK(setup(w, client, make_route({a.pk, c.pk}, 49998)));
}

TEST_CASE("setup node: a silent hop fails within the hop deadline") {
  sn::setup_node_config cfg;
  cfg.hop_timeout = 700ms;
  world w{cfg};
  auto t0 = std::chrono::steady_clock::now();
  auto t = route_through(w, "s", {1, gateway_mode::silent, 0ms});
  auto took = std::chrono::steady_clock::now() - t0;
  auto& e = t.result;
  auto& b = *t.b;
  REQUIRE_FALSE(e);
  CHECK(rt::failure_code_of(e.error()) == rs::failure_code::reserve_route_ids);
  CHECK(describe(e.error()).find("no answer within 700 ms") != std::string::npos);
  CHECK(describe(e.error()).find(b.pk.hex()) != std::string::npos);
  CHECK(took < 5s);
}

TEST_CASE("setup node: the whole-request deadline") {
  sn::setup_node_config cfg;
  cfg.hop_timeout = 10s;
  cfg.request_timeout = 800ms;
  world w{cfg};
  auto t = route_through(w, "d", {}, {1, gateway_mode::silent, 0ms});
  auto& e = t.result;
  REQUIRE_FALSE(e);
  CHECK(describe(e.error()).find("not set up within 800 ms") != std::string::npos);
}

TEST_CASE("setup node: a lost answer is retried without a second route") {
  world w;
  auto& a = w.add("la");
  auto& b = w.add("lb");
  // The destination answers AddEdgeRules late: the client's first call times
  // out, its retry joins the request in progress.
  auto& c = w.add("lc", {1, gateway_mode::ok, 1000ms});
  rt::setup_client_config cc;
  cc.call_timeout = 700ms;
  cc.attempts = 4;
  auto client = w.setup_client("la", cc);
  auto route = make_route({a.pk, b.pk, c.pk});
  auto e = setup(w, client, route);
  REQUIRE_MESSAGE(e, describe(e.error()));
  for (auto* v : {&a, &b, &c})
    CHECK(v->log->count(std::string{rs::reserve_ids_method}) == 1);
  CHECK(c.log->count(std::string{rs::add_edge_rules_method}) == 1);
  auto st = w.stats();
  CHECK(st.started == 1);
  CHECK(st.repeated >= 1);
  CHECK(st.succeeded == 1);

  // The client had its answer and closed the stream: the node forgets the
  // request, so the same route asked again (an app started again on the same
  // ports) is a new route with new rules, not the old ones (whose rules the
  // visors may have removed since).
  REQUIRE(skywire::test::eventually([&] { return w.stats().answers_taken == 1; }, 10s));
  auto again = setup(w, client, route);
  REQUIRE_MESSAGE(again, describe(again.error()));
  CHECK(again->forward.key != e->forward.key);
  CHECK(a.log->count(std::string{rs::reserve_ids_method}) == 2);
  CHECK(w.stats().started == 2);
}

TEST_CASE("setup node: invalid routes and hostile input are refused") {
  world w;
  auto& a = w.add("ia");
  auto& b = w.add("ib");
  auto& c = w.add("ic");
  auto client = w.setup_client("ia");
  SUBCASE("a key visited twice") {
    auto r = make_route({a.pk, b.pk, c.pk});
    r.forward = {{tp(1, 1), a.pk, b.pk}, {tp(2, 1), b.pk, a.pk}, {tp(3, 1), a.pk, c.pk}};
    auto e = setup(w, client, r);
    REQUIRE_FALSE(e);
    CHECK(rt::failure_code_of(e.error()) == rs::failure_code::create_routes);
    CHECK(describe(e.error()).find("twice") != std::string::npos);
  }
  SUBCASE("a broken chain") {
    auto r = make_route({a.pk, b.pk, c.pk});
    r.forward[1].from = a.pk;
    auto e = setup(w, client, r);
    REQUIRE_FALSE(e);
    CHECK(rt::failure_code_of(e.error()) == rs::failure_code::create_routes);
  }
  SUBCASE("a caller that is not the source") {
    auto r = make_route({b.pk, c.pk});
    auto e = setup(w, client, r);
    REQUIRE_FALSE(e);
    CHECK(describe(e.error()).find("not the route's source") != std::string::npos);
  }
  SUBCASE("garbage on port 36 closes that stream only") {
    caf::scoped_actor self{w.net.sys};
    auto s = dn::dial_retry(self, a.client, address{w.node_pk, port{36}});
    REQUIRE(s);
    self->send(s->stream, api::set_owner_atom::value, caf::actor_cast<caf::actor>(self));
    self->send(s->stream, api::write_atom::value, std::vector<uint8_t>{0x05, 0xff, 0x80, 0x01, 0x02, 0x03});
    bool closed = false;
    while (!closed)
      self->receive([&](api::closed_atom, caf::error&) { closed = true; },
                    [&](api::ack_atom, uint64_t) {}, [&](api::data_atom, std::vector<uint8_t>&) {},
                    caf::after(10s) >> [&] { FAIL("the node kept a garbage stream"); });
    auto e = setup(w, client, make_route({a.pk, b.pk, c.pk}));
    CHECK_MESSAGE(e, describe(e.error()));
  }
  // Nothing reached the gateways for the refused routes.
  auto st = w.stats();
  CHECK(st.failed == 0);
}

TEST_CASE("setup client: configured nodes in order, errors name the step") {
  world w;
  auto& a = w.add("ca");
  auto& b = w.add("cb");
  SUBCASE("no setup node configured") {
    auto c = rt::spawn_setup_client(w.net.sys, a.client, {});
    w.net.actors.push_back(c);
    auto e = setup(w, c, make_route({a.pk, b.pk}));
    REQUIRE_FALSE(e);
    CHECK(rt::is(e.error(), rt::setup_errc::no_setup_node));
  }
  SUBCASE("an unreachable node first, then ours") {
    rt::setup_client_config cc;
    cc.setup_nodes = {dn::kp("nobody-here").pk, w.node_pk};
    cc.dial_timeout = 3s;
    auto c = w.setup_client("ca", cc);
    auto e = setup(w, c, make_route({a.pk, b.pk}));
    CHECK_MESSAGE(e, describe(e.error()));
  }
  SUBCASE("only unreachable nodes: a dial error") {
    rt::setup_client_config cc;
    cc.setup_nodes = {dn::kp("nobody-here").pk};
    cc.dial_timeout = 2s;
    cc.attempts = 2;
    cc.retry_backoff = 50ms;
    auto c = w.setup_client("ca", cc);
    auto e = setup(w, c, make_route({a.pk, b.pk}));
    REQUIRE_FALSE(e);
    CHECK(rt::is(e.error(), rt::setup_errc::dial));
    CHECK(describe(e.error()).find("after 2 attempts") != std::string::npos);
  }
}
