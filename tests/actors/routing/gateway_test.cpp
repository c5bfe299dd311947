// The route setup gateway (dmsg port 136): the Go setup node's recorded
// streams to carol (ReserveIDs + AddIntermediaryRules) and bob (ReserveIDs +
// AddEdgeRules) answered byte for byte, the rules installed; the ReserveIDs
// counter; refusals answered as the reference's Failure text; hostile input
// (wrong argument shapes, garbage, truncation, floods); the whitelist of the
// gateway actor with fake dmsg streams.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/routing/errors.hpp"
#include "actors/routing/gateway_session.hpp"
#include "actors/routing/router_state.hpp"
#include "actors/routing/setup_gateway.hpp"
#include "messages/wire/rpc/route_gateway.hpp"
#include "messages/wire/rpc/routing_schemas.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/actors/transport/tp_support.hpp"
#include "runtime/system/supervision.hpp"
#include "tests/messages/gob/vectors.hpp"

using namespace skywire;
using namespace skywire::routing;
using namespace std::chrono_literals;
using tp_test::identity;
using skywire::test::hex;
using skywire::test::str;
using skywire::test::unhexv;
namespace wr = skywire::wire::routing;
namespace rs = skywire::wire::rpc::route_setup;
namespace gob = skywire::wire::gob;
namespace rpc = skywire::wire::rpc;

namespace {

const boost::json::object& channel(size_t i) {
  static const auto v = test::load_vectors("skywire/routing.json");
  return v.as_object().at("setup_node_rpc").at("channels").as_array().at(i).as_object();
}

const public_key setup_node = identity("setup node").pk;

/// Feeds `in` in chunks of `step` bytes; returns everything written.
std::vector<uint8_t> feed(gateway_session& s, const std::vector<uint8_t>& in, size_t step,
                          caf::error* err = nullptr) {
  std::vector<uint8_t> out;
  for (size_t pos = 0; pos < in.size(); pos += step) {
    auto e = s.on_bytes({in.data() + pos, std::min(step, in.size() - pos)}, out);
    if (e) {
      if (err)
        *err = e;
      break;
    }
  }
  return out;
}

/// A client of the gateway: writes calls, reads replies.
struct client {
  rpc::client_codec cc;
  uint64_t seq = 0;
  std::vector<uint8_t> call(const std::string& method, const gob::schema_ptr& s, const gob::value& v) {
    std::vector<uint8_t> out;
    REQUIRE_FALSE(cc.write_request({method, seq++}, s, v, out));
    return out;
  }
  rpc::inbound_response reply(const std::vector<uint8_t>& bytes) {
    cc.feed({bytes.data(), bytes.size()});
    auto r = cc.next_response();
    REQUIRE(r);
    REQUIRE(*r);
    return std::move(**r);
  }
};

transport_id tp(uint8_t n) {
  transport_id t;
  t.bytes.fill(n);
  return t;
}

} // namespace

TEST_CASE("gateway: the Go setup node's stream to an intermediate visor, byte for byte") {
  auto& ch = channel(2); // setup node -> carol: ReserveIDs(2), AddIntermediaryRules
  REQUIRE(str(ch.at("server")) == "carol");
  router_state st{nullptr};
  REQUIRE(st.reserve_ids(20)); // carol's recorded router handed out 21, 22
  for (size_t step : {size_t{1}, size_t{7}, size_t{4096}}) {
    CAPTURE(step);
    router_state fresh{nullptr};
    REQUIRE(fresh.reserve_ids(20));
    gateway_session s{setup_node, fresh};
    caf::error err;
    auto out = feed(s, unhexv(ch.at("client_to_server_hex")), step, &err);
    CHECK_FALSE(err);
    CHECK(hex(out) == str(ch.at("server_to_client_hex")));
    CHECK(s.calls() == 2);
    auto rules = fresh.table()->rules();
    REQUIRE(rules.size() == 2);
    auto& sent = ch.at("client_to_server_calls").as_array().at(1).at("arg_decoded").as_array();
    CHECK(hex(rules[0].encode()) == str(sent[0]));
    CHECK(hex(rules[1].encode()) == str(sent[1]));
    CHECK(rules[0].type == wr::rule_type::intermediary_forward);
  }
}

TEST_CASE("gateway: the Go setup node's stream to the destination, edge rules to the acceptor") {
  auto& ch = channel(3); // setup node -> bob: ReserveIDs(2), AddEdgeRules
  REQUIRE(str(ch.at("server")) == "bob");
  router_state st{nullptr};
  REQUIRE(st.reserve_ids(30));
  std::vector<edge_rules> accepted;
  public_key from;
  st.set_edge_acceptor([&](const public_key& pk, const edge_rules& e) -> caf::error {
    from = pk;
    accepted.push_back(e);
    return {};
  });
  gateway_session s{setup_node, st};
  caf::error err;
  auto out = feed(s, unhexv(ch.at("client_to_server_hex")), 5, &err);
  CHECK_FALSE(err);
  CHECK(hex(out) == str(ch.at("server_to_client_hex")));
  REQUIRE(accepted.size() == 1);
  CHECK(from == setup_node);
  auto& arg = ch.at("client_to_server_calls").as_array().at(1).at("arg_decoded").as_object();
  CHECK(hex(accepted[0].forward.encode()) == str(arg.at("Forward_hex")));
  CHECK(hex(accepted[0].reverse.encode()) == str(arg.at("Reverse_hex")));
  auto d = accepted[0].desc.bytes();
  CHECK(hex({d.begin(), d.end()}) == str(arg.at("Desc_hex")));
  CHECK(st.table()->size() == 2);
}

TEST_CASE("gateway: ReserveIDs hands out consecutive IDs across streams, never twice") {
  router_state st{nullptr};
  std::vector<uint32_t> seen;
  for (int stream = 0; stream < 3; ++stream) {
    gateway_session s{setup_node, st};
    client c;
    for (uint8_t n : {uint8_t{1}, uint8_t{3}, uint8_t{0}}) {
      std::vector<uint8_t> out;
      REQUIRE_FALSE(s.on_bytes(c.call("RPCGateway.ReserveIDs", gob::schema::uint_(), gob::value::of_uint(n)), out));
      auto r = c.reply(out);
      CHECK(r.header.error.empty());
      REQUIRE(r.reply.items.size() == n);
      for (auto& x : r.reply.items)
        seen.push_back(static_cast<uint32_t>(x.as_uint()));
    }
  }
  REQUIRE(seen.size() == 12);
  for (size_t i = 0; i < seen.size(); ++i)
    CHECK(seen[i] == i + 1);
}

TEST_CASE("gateway: refusals are answered as routing.Failure and the stream carries on") {
  router_state st{nullptr};
  gateway_session s{setup_node, st};
  client c;
  auto call = [&](const std::string& m, const gob::schema_ptr& sc, const gob::value& v) {
    std::vector<uint8_t> out;
    REQUIRE_FALSE(s.on_bytes(c.call(m, sc, v), out));
    return c.reply(out);
  };
  auto ids = call("RPCGateway.ReserveIDs", gob::schema::uint_(), gob::value::of_uint(4));
  REQUIRE(ids.reply.items.size() == 4); // 1..4

  // a rule whose key was never reserved here
  auto stranger = wr::make_intermediary_rule(30s, route_id{99}, route_id{5}, tp(1)).encode();
  auto r = call("RPCGateway.AddIntermediaryRules", rs::rules_schema(), rs::rules_value({stranger}));
  CHECK(r.header.error.rfind("failure code 1 (", 0) == 0);
  CHECK(r.header.error.find("not reserved") != std::string::npos);

  // not an intermediary rule
  wr::route_descriptor d{setup_node, setup_node, port{1}, port{2}};
  auto consume = wr::make_consume_rule(30s, route_id{1}, d).encode();
  r = call("RPCGateway.AddIntermediaryRules", rs::rules_schema(), rs::rules_value({consume}));
  CHECK(r.header.error.find("not an intermediary rule") != std::string::npos);

  // rule bytes that do not decode
  r = call("RPCGateway.AddIntermediaryRules", rs::rules_schema(), rs::rules_value({{1, 2, 3}}));
  CHECK(r.header.error.rfind("failure code 1 (bad rule", 0) == 0);

  // good, then the same key again (in use): refused, the first stays
  auto good = wr::make_intermediary_rule(30s, route_id{2}, route_id{5}, tp(1)).encode();
  r = call("RPCGateway.AddIntermediaryRules", rs::rules_schema(), rs::rules_value({good}));
  CHECK(r.header.error.empty());
  CHECK(r.reply.as_bool());
  r = call("RPCGateway.AddIntermediaryRules", rs::rules_schema(), rs::rules_value({good}));
  CHECK(r.header.error.find("already in use") != std::string::npos);
  CHECK(st.table()->size() == 1);

  // edge rules without an acceptor: refused, nothing installed
  auto fwd = wr::make_forward_rule(30s, route_id{3}, route_id{7}, tp(1), d).encode();
  auto rev = wr::make_consume_rule(30s, route_id{4}, d.inverted()).encode();
  auto desc = d.bytes();
  r = call("RPCGateway.AddEdgeRules", rs::edge_rules_schema(), rs::edge_rules_value(desc, fwd, rev));
  CHECK(r.header.error.find("no route acceptor") != std::string::npos);
  CHECK(st.table()->size() == 1);
  // an acceptor that refuses: the rules are removed again
  st.set_edge_acceptor([](const public_key&, const edge_rules&) {
    return make_error(routing_errc::no_acceptor, "nobody listens on port 2");
  });
  r = call("RPCGateway.AddEdgeRules", rs::edge_rules_schema(), rs::edge_rules_value(desc, fwd, rev));
  CHECK(r.header.error.find("nobody listens") != std::string::npos);
  CHECK(st.table()->size() == 1);
  // forward and reverse swapped: refused
  st.set_edge_acceptor([](const public_key&, const edge_rules&) { return caf::error{}; });
  r = call("RPCGateway.AddEdgeRules", rs::edge_rules_schema(), rs::edge_rules_value(desc, rev, fwd));
  CHECK(r.header.error.find("forward rule") != std::string::npos);
  r = call("RPCGateway.AddEdgeRules", rs::edge_rules_schema(), rs::edge_rules_value(desc, fwd, rev));
  CHECK(r.header.error.empty());
  CHECK(st.table()->size() == 3);

  // ours: the setup node's clean-up removes what it installed (keys not present are skipped)
  r = call("RPCGateway.RemoveRules", rs::route_ids_schema(), rs::route_ids_value({route_id{3}, route_id{4}, route_id{99}}));
  CHECK(r.header.error.empty());
  CHECK(r.reply.as_bool());
  CHECK(st.table()->size() == 1);
  CHECK(st.table()->get(route_id{2}));

  // a method the gateway does not have
  r = call("RPCGateway.DeleteEverything", gob::schema::uint_(), gob::value::of_uint(1));
  CHECK(r.header.error == "rpc: can't find method RPCGateway.DeleteEverything");
  CHECK(s.refused() == 8);
}

TEST_CASE("gateway: hostile input ends the stream with an error, never a crash") {
  router_state st{nullptr};
  SUBCASE("ReserveIDs with a string") {
    gateway_session s{setup_node, st};
    client c;
    std::vector<uint8_t> out;
    auto err = s.on_bytes(c.call("RPCGateway.ReserveIDs", gob::schema::string(), gob::value::of_string("9")), out);
    CHECK(err);
  }
  SUBCASE("ReserveIDs over uint8") {
    gateway_session s{setup_node, st};
    client c;
    std::vector<uint8_t> out;
    CHECK(s.on_bytes(c.call("RPCGateway.ReserveIDs", gob::schema::uint_(), gob::value::of_uint(256)), out));
    CHECK(st.pool().last() == 0);
  }
  SUBCASE("AddIntermediaryRules with a struct") {
    gateway_session s{setup_node, st};
    client c;
    std::vector<uint8_t> out;
    auto desc = std::array<uint8_t, 70>{};
    CHECK(s.on_bytes(c.call("RPCGateway.AddIntermediaryRules", rs::edge_rules_schema(),
                            rs::edge_rules_value(desc, {}, {})),
                     out));
  }
  SUBCASE("too many rules in one call are refused, not installed") {
    gateway_session s{setup_node, st};
    client c;
    REQUIRE(st.reserve_ids(255));
    std::vector<std::vector<uint8_t>> many;
    for (uint32_t k = 1; k <= rs::max_gateway_rules + 1; ++k)
      many.push_back(wr::make_intermediary_rule(30s, route_id{k}, route_id{k}, tp(1)).encode());
    std::vector<uint8_t> out;
    REQUIRE_FALSE(s.on_bytes(c.call("RPCGateway.AddIntermediaryRules", rs::rules_schema(), rs::rules_value(many)), out));
    CHECK(c.reply(out).header.error.find("more than 256 rules") != std::string::npos);
    CHECK(st.table()->size() == 0);
  }
  SUBCASE("garbage and a huge length prefix") {
    gateway_session s{setup_node, st};
    std::vector<uint8_t> out;
    // one 3-byte message: a value of type id 100, never defined
    std::vector<uint8_t> junk{0x03, 0xff, 0xc8, 0x00};
    CHECK(s.on_bytes(junk, out));
    gateway_session s2{setup_node, st};
    std::vector<uint8_t> big{0xfc, 0x7f, 0xff, 0xff, 0xff}; // a 2 GiB message
    CHECK(s2.on_bytes(big, out));
  }
  SUBCASE("a truncated call waits, then completes") {
    gateway_session s{setup_node, st};
    client c;
    auto bytes = c.call("RPCGateway.ReserveIDs", gob::schema::uint_(), gob::value::of_uint(2));
    std::vector<uint8_t> out;
    REQUIRE_FALSE(s.on_bytes({bytes.data(), bytes.size() - 1}, out));
    CHECK(out.empty());
    REQUIRE_FALSE(s.on_bytes({bytes.data() + bytes.size() - 1, 1}, out));
    CHECK(c.reply(out).reply.items.size() == 2);
  }
  SUBCASE("more calls than a setup needs") {
    gateway_session s{setup_node, st};
    client c;
    caf::error err;
    for (uint64_t i = 0; i <= gateway_session::max_calls && !err; ++i) {
      std::vector<uint8_t> out;
      err = s.on_bytes(c.call("RPCGateway.ReserveIDs", gob::schema::uint_(), gob::value::of_uint(0)), out);
    }
    CHECK(err);
    CHECK(s.calls() == gateway_session::max_calls + 1);
  }
}

// ---- the actor: whitelist with fake dmsg streams ------------------------------------------

namespace {

struct stream_log {
  int set_owner = 0;
  int closes = 0;
  std::vector<uint8_t> written;
  uint64_t consumed = 0;
};

using fake_stream_atom = caf::atom_constant<caf::atom("fs_log")>;

/// A dmsg stream actor that records what its owner tells it.
api::dmsg_stream_actor::behavior_type fake_stream(api::dmsg_stream_actor::pointer self,
                                                  std::shared_ptr<stream_log> log) {
  (void)self;
  return {
    [log](api::write_atom, api::byte_buffer& b) { log->written.insert(log->written.end(), b.begin(), b.end()); },
    [log](api::consumed_atom, uint32_t n) { log->consumed += n; },
    [log](api::close_atom) { ++log->closes; },
    [log](api::set_owner_atom, caf::actor) { ++log->set_owner; },
    [](api::score_atom) -> caf::result<api::stream_core_ptr> {
      return caf::make_error(caf::sec::unexpected_message);
    },
  };
}

} // namespace

TEST_CASE("setup_gateway actor: streams from keys not in route_setup_nodes are closed and counted") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto st = std::make_shared<router_state>(nullptr);
  setup_gateway_config gc;
  gc.setup_nodes = {setup_node};
  auto gw = spawn_setup_gateway(sys, nullptr, st, gc);
  caf::scoped_actor self{sys};
  auto info = [&] {
    std::string text;
    self->request(caf::actor_cast<system::info_provider_actor>(gw), 5s, system::info_atom::value)
      .receive([&](const std::string& t) { text = t; }, [&](caf::error& e) { FAIL(describe(e)); });
    return boost::json::parse(text).as_object();
  };
  auto stranger_log = std::make_shared<stream_log>();
  auto stranger = sys.spawn(fake_stream, stranger_log);
  auto friend_log = std::make_shared<stream_log>();
  auto friendly = sys.spawn(fake_stream, friend_log);
  address local{identity("visor").pk, port{136}};
  for (int i = 0; i < 3; ++i)
    self->send(gw, api::accept_atom::value,
               api::stream_opened{stranger, local, address{identity("mallory").pk, port{49999}}});
  self->send(gw, api::accept_atom::value, api::stream_opened{friendly, local, address{setup_node, port{49153}}});
  // the stranger's bytes are ignored; the setup node's are served
  caf::anon_send(gw, api::data_atom::value, api::byte_buffer{1, 2, 3}); // no sender: ignored
  auto& ch = channel(2);
  REQUIRE(st->reserve_ids(20));
  auto bytes = unhexv(ch.at("client_to_server_hex"));
  caf::send_as(caf::actor_cast<caf::actor>(friendly), gw, api::data_atom::value, api::byte_buffer{bytes});
  // bounded wait on the gateway's own status (it serializes the messages above)
  auto deadline = std::chrono::steady_clock::now() + 10s;
  boost::json::object o;
  do {
    o = info();
  } while (o.at("calls").as_int64() < 2 && std::chrono::steady_clock::now() < deadline);
  CHECK(o.at("refused_streams").as_int64() == 3);
  CHECK(o.at("calls").as_int64() == 2);
  CHECK(o.at("sessions").as_int64() == 1);
  // messages to the fake streams were sent before the info answer: let them land
  self->request(caf::actor_cast<caf::actor>(stranger), 5s, api::score_atom::value).receive([](api::stream_core_ptr) {}, [](caf::error&) {});
  self->request(caf::actor_cast<caf::actor>(friendly), 5s, api::score_atom::value).receive([](api::stream_core_ptr) {}, [](caf::error&) {});
  CHECK(stranger_log->closes == 3);
  CHECK(stranger_log->written.empty());
  CHECK(friend_log->closes == 0);
  CHECK(friend_log->set_owner == 1);
  CHECK(friend_log->consumed == bytes.size());
  CHECK(hex(friend_log->written) == str(ch.at("server_to_client_hex")));
  CHECK(st->table()->size() == 2);
  self->send_exit(gw, caf::exit_reason::user_shutdown);
  self->send_exit(stranger, caf::exit_reason::user_shutdown);
  self->send_exit(friendly, caf::exit_reason::user_shutdown);
}
