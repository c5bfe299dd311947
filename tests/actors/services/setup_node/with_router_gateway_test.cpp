// The setup node against the visor's own route setup gateway (the router's
// setup_gateway on dmsg port 136 with a real router_state), over a real dmsg
// server on loopback: the rules land in every visor's table, a refused edge
// removes the transit rules again (RemoveRules), a visor that does not list
// the node refuses it.
#include <doctest/doctest.h>

#include <thread>

#include <boost/json.hpp>

#include "actors/dmsg/client_ref.hpp"
#include "actors/routing/router_state.hpp"
#include "actors/routing/setup_client.hpp"
#include "actors/routing/setup_gateway.hpp"
#include "actors/services/setup_node/setup_node.hpp"
#include "runtime/system/supervision.hpp"
#include "tests/support/dmsg_net.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace sn = skywire::services::setup_node;
namespace rt = skywire::routing;
namespace dn = skywire::test::dmsg_net;
namespace rs = wire::rpc::route_setup;
namespace wr = wire::routing;

namespace {

struct real_visor {
  public_key pk;
  api::dmsg_client_actor client;
  std::shared_ptr<rt::router_state> state;
  caf::actor gateway;
};

struct real_world {
  dn::net net;
  public_key node_pk = dn::kp("rg-node").pk;
  caf::actor node;
  std::vector<real_visor> visors;

  real_world() {
    net.server("rg-srv");
    net.wait_server_registered(1);
    auto nc = net.client(net.client_cfg("rg-node"));
    node = sn::spawn_setup_node(net.sys, nc, {});
    net.actors.push_back(node);
    caf::scoped_actor self{net.sys};
    self->request(node, 10s, api::ready_atom::value)
      .receive([](api::ok_atom) {}, [](caf::error& e) { FAIL(describe(e)); });
  }

  real_visor& add(const std::string& seed, std::vector<public_key> whitelist) {
    real_visor v;
    v.pk = dn::kp(seed).pk;
    v.client = net.client(net.client_cfg(seed));
    v.state = std::make_shared<rt::router_state>(nullptr);
    v.state->set_edge_acceptor([](const public_key&, const rs::edge_rules&) { return caf::error{}; });
    auto ref = std::make_shared<dmsg::client_ref>();
    ref->set(v.client);
    rt::setup_gateway_config gc;
    gc.setup_nodes = std::move(whitelist);
    v.gateway = rt::spawn_setup_gateway(net.sys, ref, v.state, gc);
    net.actors.push_back(v.gateway);
    // The gateway listens once it has seen the client: wait for it (bounded).
    caf::scoped_actor self{net.sys};
    auto listening = [&] {
      bool yes = false;
      self->request(caf::actor_cast<system::info_provider_actor>(v.gateway), 5s, system::info_atom::value)
        .receive([&](const std::string& t) { yes = boost::json::parse(t).at("listening").as_bool(); },
                 [](caf::error& e) { FAIL(describe(e)); });
      return yes;
    };
    REQUIRE(skywire::test::eventually(listening, 2s, 20ms));
    visors.push_back(v);
    return visors.back();
  }

  expected<rs::edge_rules> setup(const rs::bidirectional_route& r) {
    rt::setup_client_config cc;
    cc.setup_nodes = {node_pk};
    auto c = rt::spawn_setup_client(net.sys, visors.front().client, cc);
    net.actors.push_back(c);
    caf::scoped_actor self{net.sys};
    expected<rs::edge_rules> out = caf::error{};
    self->request(c, 60s, rt::setup_route_atom::value, r)
      .receive([&](rs::edge_rules& e) { out = std::move(e); }, [&](caf::error& e) { out = std::move(e); });
    return out;
  }
};

rs::bidirectional_route route_over(const std::vector<real_visor>& vs) {
  rs::bidirectional_route r;
  r.desc = {vs.front().pk, vs.back().pk, port{49300}, port{44}};
  r.keep_alive_ns = 30'000'000'000;
  for (size_t i = 0; i + 1 < vs.size(); ++i) {
    transport_id t;
    t.bytes[0] = static_cast<uint8_t>(i + 1);
    r.forward.push_back({t, vs[i].pk, vs[i + 1].pk});
  }
  for (size_t i = r.forward.size(); i > 0; --i)
    r.reverse.push_back({r.forward[i - 1].tp_id, r.forward[i - 1].to, r.forward[i - 1].from});
  return r;
}

} // namespace

TEST_CASE("setup node with the router's gateways: a 3-hop route lands in every table") {
  real_world w;
  for (auto s : {"rg-a", "rg-b", "rg-c", "rg-d"})
    w.add(s, {w.node_pk});
  auto route = route_over(w.visors);
  auto e = w.setup(route);
  REQUIRE_MESSAGE(e, describe(e.error()));
  CHECK(w.visors[0].state->table()->size() == 0); // the source holds its rules itself
  for (size_t k : {1u, 2u}) {
    auto rules = w.visors[k].state->table()->rules();
    REQUIRE(rules.size() == 2);
    for (auto& r : rules)
      CHECK(r.type == wr::rule_type::intermediary_forward);
  }
  auto dst = w.visors[3].state->table()->rules();
  REQUIRE(dst.size() == 2);
  // The source's forward rule points at the first transit visor's rule.
  auto [snap, found] = w.visors[1].state->table()->find(e->forward.next_route);
  REQUIRE(found);
  CHECK(found.hit->rule.next_transport == route.forward[1].tp_id);
}

TEST_CASE("setup node with the router's gateways: a refused edge removes the transit rules") {
  real_world w;
  for (auto s : {"rf-a", "rf-b", "rf-c"})
    w.add(s, {w.node_pk});
  w.visors[2].state->set_edge_acceptor([](const public_key&, const rs::edge_rules&) {
    return make_error(wire_errc::bad_value, "no app listens on port 44");
  });
  auto e = w.setup(route_over(w.visors));
  REQUIRE_FALSE(e);
  CHECK(rt::failure_code_of(e.error()) == rs::failure_code::add_rules);
  // RemoveRules reaches the transit visor after the answer: bounded poll.
  CHECK(skywire::test::eventually([&] { return w.visors[1].state->table()->size() == 0; }, 2s,
                                  10ms));
  CHECK(w.visors[2].state->table()->size() == 0);
}

TEST_CASE("setup node with the router's gateways: a visor that does not list the node refuses it") {
  real_world w;
  w.add("rw-a", {w.node_pk});
  w.add("rw-b", {dn::kp("some-other-node").pk});
  w.add("rw-c", {w.node_pk});
  auto e = w.setup(route_over(w.visors));
  REQUIRE_FALSE(e);
  CHECK(rt::failure_code_of(e.error()) == rs::failure_code::reserve_route_ids);
  CHECK(w.visors[2].state->table()->size() == 0);
}
