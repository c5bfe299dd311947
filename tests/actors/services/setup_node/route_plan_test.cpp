// Rule generation and the request cache of the setup node, against the
// reference's vectors (routing.json setup_node_rpc: the rules a Go setup
// node generated for alice -> carol -> bob with ids 11/12, 21/22, 31/32).
#include <doctest/doctest.h>

#include "actors/services/setup_node/request_cache.hpp"
#include "actors/services/setup_node/route_plan.hpp"
#include "tests/messages/gob/vectors.hpp"

using namespace skywire;
namespace sn = skywire::services::setup_node;
namespace rs = wire::rpc::route_setup;
namespace wr = wire::routing;
using skywire::test::hex;
using skywire::test::str;
using skywire::test::unhexv;

namespace {

const boost::json::object& setup_vectors() {
  static const auto v = test::load_vectors("skywire/routing.json");
  return v.as_object().at("setup_node_rpc").as_object();
}

rs::hop hop_from(const boost::json::value& j) {
  return {*transport_id::from_string(str(j.at("TpID"))), *public_key::from_hex(str(j.at("From"))),
          *public_key::from_hex(str(j.at("To")))};
}

rs::bidirectional_route vector_route() {
  auto& r = setup_vectors().at("route").as_object();
  rs::bidirectional_route out;
  out.desc = *wr::route_descriptor::decode(unhexv(r.at("desc_hex")));
  out.keep_alive_ns = r.at("keep_alive_ns").as_int64();
  for (auto& h : r.at("forward").as_array())
    out.forward.push_back(hop_from(h));
  for (auto& h : r.at("reverse").as_array())
    out.reverse.push_back(hop_from(h));
  return out;
}

public_key pk_of(const std::string& name) {
  auto& f = setup_vectors().at("route").at("forward").as_array();
  if (name == "alice")
    return hop_from(f[0]).from;
  if (name == "carol")
    return hop_from(f[0]).to;
  return hop_from(f[1]).to;
}

} // namespace

TEST_CASE("route plan: ids per visor and the reference's rules from its ids") {
  auto route = vector_route();
  REQUIRE_FALSE(rs::validate(route, 50, 3'600'000'000'000));
  auto ids = sn::id_requests(route);
  REQUIRE(ids.size() == 3);
  CHECK(ids[0].pk == pk_of("alice"));
  CHECK(ids[1].pk == pk_of("carol"));
  CHECK(ids[2].pk == pk_of("bob"));
  for (auto& x : ids)
    CHECK(x.count == 2);

  std::map<public_key, std::vector<route_id>> reserved;
  for (auto& [name, list] : setup_vectors().at("route").at("reserved_ids").as_object())
    for (auto& id : list.as_array())
      reserved[pk_of(std::string{name})].push_back(route_id{static_cast<uint32_t>(id.as_int64())});
  auto rules = sn::generate_rules(route, reserved);
  REQUIRE(rules);
  // alice's answer
  auto& a = setup_vectors().at("alice_received_edge_rules").as_object();
  auto desc = rules->source.desc.bytes();
  CHECK(hex(std::vector<uint8_t>(desc.begin(), desc.end())) == str(a.at("desc_hex")));
  CHECK(hex(rules->source.forward.encode()) == str(a.at("forward_rule_hex")));
  CHECK(hex(rules->source.reverse.encode()) == str(a.at("reverse_rule_hex")));
  // carol's intermediary rules and bob's edge rules, as the node sent them
  auto& channels = setup_vectors().at("channels").as_array();
  auto& carol = channels[2].at("client_to_server_calls").as_array()[1].at("arg_decoded").as_array();
  REQUIRE(rules->intermediary.size() == 1);
  auto& cr = rules->intermediary.at(pk_of("carol"));
  REQUIRE(cr.size() == carol.size());
  for (size_t i = 0; i < cr.size(); ++i)
    CHECK(hex(cr[i].encode()) == str(carol[i]));
  auto& bob = channels[3].at("client_to_server_calls").as_array()[1].at("arg_decoded").as_object();
  CHECK(hex(rules->destination.forward.encode()) == str(bob.at("Forward_hex")));
  CHECK(hex(rules->destination.reverse.encode()) == str(bob.at("Reverse_hex")));
  CHECK(rules->destination.desc == route.desc);

  SUBCASE("ids that do not fit are refused") {
    auto few = reserved;
    few[pk_of("carol")].pop_back();
    CHECK_FALSE(sn::generate_rules(route, few));
    auto many = reserved;
    many[pk_of("bob")].push_back(route_id{99});
    CHECK_FALSE(sn::generate_rules(route, many));
  }
}

TEST_CASE("route plan: a ping loop (source == destination) gets rules for both ends") {
  auto route = vector_route();
  auto alice = pk_of("alice");
  auto carol = pk_of("carol");
  route.desc = {alice, alice, port{49152}, port{48}};
  route.forward = {{route.forward[0].tp_id, alice, carol}, {route.forward[0].tp_id, carol, alice}};
  route.reverse = route.forward;
  REQUIRE_FALSE(rs::validate(route, 50, 3'600'000'000'000));
  auto ids = sn::id_requests(route);
  REQUIRE(ids.size() == 2);
  CHECK(ids[0].count == 4);
  std::map<public_key, std::vector<route_id>> reserved{
    {alice, {route_id{1}, route_id{2}, route_id{3}, route_id{4}}},
    {carol, {route_id{5}, route_id{6}}}};
  auto rules = sn::generate_rules(route, reserved);
  REQUIRE(rules);
  CHECK(rules->source.forward.key == route_id{1});
  CHECK(rules->source.forward.next_route == route_id{5});
  CHECK(rules->destination.reverse.key == route_id{2});
  CHECK(rules->intermediary.at(carol).size() == 2);
}

TEST_CASE("request cache: repeats join or reuse, failures are forgotten, bounded") {
  using clk = sn::request_cache::clock;
  sn::request_cache cache{2, std::chrono::seconds(30)};
  auto route = vector_route();
  auto k1 = sn::make_key(pk_of("alice"), route);
  auto t = clk::now();
  auto c = cache.begin(k1, 1, t);
  CHECK(c.st == sn::request_cache::state::started);
  c = cache.begin(k1, 2, t);
  CHECK(c.st == sn::request_cache::state::in_progress);
  CHECK(c.id == 1);
  sn::outcome out;
  out.rules = rs::edge_rules{};
  cache.finish(1, out, t);
  c = cache.begin(k1, 3, t + std::chrono::seconds(10));
  REQUIRE(c.st == sn::request_cache::state::finished);
  CHECK(c.answer->rules.has_value());
  // another caller, another key
  auto k2 = sn::make_key(pk_of("bob"), route);
  CHECK(k2 != k1);
  CHECK(cache.begin(k2, 4, t).st == sn::request_cache::state::started);
  // full of one finished and one running: the finished one makes room
  auto route3 = route;
  route3.keep_alive_ns += 1;
  auto k3 = sn::make_key(pk_of("alice"), route3);
  CHECK(cache.begin(k3, 5, t).st == sn::request_cache::state::started);
  // now two running: full
  auto route4 = route;
  route4.desc.src_port = port{1};
  auto k4 = sn::make_key(pk_of("alice"), route4);
  CHECK(cache.begin(k4, 6, t).st == sn::request_cache::state::full);
  cache.abandon(5);
  CHECK(cache.begin(k3, 7, t).st == sn::request_cache::state::started);
  // expiry
  cache.finish(7, out, t);
  cache.expire(t + std::chrono::seconds(31));
  CHECK(cache.size() == 1);
}
