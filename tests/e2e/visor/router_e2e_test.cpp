// End to end: a visor process whose routing.route_setup_nodes names one key,
// an in-process dmsg discovery and server on loopback, and two dmsg clients
// in the test: the setup node (that key) and a stranger. The setup node's
// gob net/rpc calls on the visor's dmsg port 136 reserve route IDs and
// install an intermediary rule, which `cli visor route` lists; the CLI adds
// and removes a rule by hand (later reservations skip its ID); the
// stranger's stream is closed at once and counted in `visor info`. The
// visor is killed by PID when the test ends.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "messages/wire/routing/rule.hpp"
#include "messages/wire/rpc/net_rpc.hpp"
#include "messages/wire/rpc/routing_schemas.hpp"
#include "tests/e2e/visor/visor_procs.hpp"
#include "tests/support/dmsg_net.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace wr = skywire::wire::routing;
namespace rpc = skywire::wire::rpc;
namespace rs = skywire::wire::rpc::route_setup;
namespace gob = skywire::wire::gob;
namespace dn = skywire::test::dmsg_net;
namespace ev = e2e_visor;

namespace {

/// One net/rpc client over a dmsg stream owned by a scoped actor.
struct rpc_stream {
  caf::scoped_actor& self;
  api::stream_opened s;
  rpc::client_codec cc;
  uint64_t seq = 0;

  rpc_stream(caf::scoped_actor& owner, api::stream_opened st) : self(owner), s(std::move(st)) {
    self->send(s.stream, api::set_owner_atom::value, caf::actor{self});
  }

  rpc::inbound_response call(const std::string& method, const gob::schema_ptr& sc, const gob::value& v) {
    std::vector<uint8_t> out;
    REQUIRE_FALSE(cc.write_request({method, seq++}, sc, v, out));
    self->send(s.stream, api::write_atom::value, std::move(out));
    for (int i = 0; i < 100; ++i) {
      auto r = cc.next_response();
      REQUIRE(r);
      if (*r)
        return std::move(**r);
      bool got = false;
      self->receive_while([&] { return !got; })(
        [&](api::data_atom, api::byte_buffer& b) {
          cc.feed({b.data(), b.size()});
          self->send(s.stream, api::consumed_atom::value, static_cast<uint32_t>(b.size()));
          got = true;
        },
        [&](api::ack_atom, uint64_t) {},
        [&](api::closed_atom, caf::error& err) { FAIL("stream closed: " << describe(err)); },
        caf::after(10s) >> [&] { FAIL("no answer to " << method); });
    }
    FAIL("no whole answer to " << method);
    return {};
  }
};

std::vector<uint32_t> ids_of(const rpc::inbound_response& r) {
  std::vector<uint32_t> out;
  for (auto& x : r.reply.items)
    out.push_back(static_cast<uint32_t>(x.as_uint()));
  return out;
}

} // namespace

TEST_CASE("visor: the route setup gateway on dmsg port 136 serves its setup node only; cli visor route") {
  dn::net n;
  n.server("route-e2e-server");
  n.wait_server_registered(1);
  auto setup = dn::kp("route-e2e-setup-node");
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  ev::visor_proc v;
  ev::make_visor(v, tmp.path, "v", [&](json::object& c) {
    auto& d = c["dmsg"].as_object();
    d["discovery"] = n.url();
    d["sessions_count"] = 1;
    d["servers"] = json::array{};
    c["skywire-tcp"].as_object()["listening_address"] = "127.0.0.1:0";
    c["skywire-tcp"].as_object()["pk_table"] = nullptr;
    auto& t = c["transport"].as_object();
    t["address_resolver"] = "";
    t["discovery"] = "";
    if (!c.contains("routing") || !c["routing"].is_object())
      c["routing"] = json::object{};
    c["routing"].as_object()["route_setup_nodes"] = json::array{json::value(setup.pk.hex())};
  });
  ev::start_visor(v, "route setup gateway listening");
  auto vpk = public_key::from_hex(v.pk);
  REQUIRE(vpk);

  caf::scoped_actor self{n.sys};
  auto sn = n.client(n.client_cfg("route-e2e-setup-node"));
  auto st = dn::dial_retry(self, sn, address{*vpk, port{136}});
  REQUIRE_MESSAGE(st, describe(st.error()), "\n", skywire::test::read_text(v.log));
  {
    rpc_stream c{self, *st};
    auto r = c.call("RPCGateway.ReserveIDs", gob::schema::uint_(), gob::value::of_uint(2));
    CHECK(r.header.error.empty());
    CHECK(ids_of(r) == std::vector<uint32_t>{1, 2});
    transport_id next_tp;
    next_tp.bytes.fill(0x42);
    auto rule = wr::make_intermediary_rule(30s, route_id{1}, route_id{77}, next_tp);
    r = c.call("RPCGateway.AddIntermediaryRules", rs::rules_schema(), rs::rules_value({rule.encode()}));
    CHECK(r.header.error.empty());
    CHECK(r.reply.as_bool());
    // a key it did not reserve: refused with the reference's failure code
    auto other = wr::make_intermediary_rule(30s, route_id{9}, route_id{78}, next_tp);
    r = c.call("RPCGateway.AddIntermediaryRules", rs::rules_schema(), rs::rules_value({other.encode()}));
    CHECK(r.header.error.rfind("failure code 1 (", 0) == 0);

    auto rules = ev::call_json(v, {"route", "ls-rules"}).as_array();
    REQUIRE(rules.size() == 1);
    CHECK(json::serialize(rules[0]) == wr::encode_summary_json(rule));
    CHECK(json::serialize(ev::call_json(v, {"route", "rule", "1"})) == wr::encode_summary_json(rule));
    auto table = ev::cli({"cli", "visor", "route", "ls-rules", "--rpc", v.rpc});
    REQUIRE(table.code == 0);
    CHECK(table.out.find("next-transport-id") != std::string::npos);
    CHECK(table.out.find(next_tp.to_string()) != std::string::npos);
  }

  // by hand: a rule on ID 5000, listed, removed; the pool skips it
  auto added = ev::call_json(v, {"route", "add-rule", "intfwd", "5000", "6", "42424242-4242-4242-4242-424242424242",
                                 "--keep-alive", "1m"});
  CHECK(added.as_object().at("key_route_id").as_int64() == 5000);
  CHECK(added.as_object().at("keep_alive").as_int64() == 60'000'000'000);
  CHECK(ev::call_json(v, {"route", "ls-rules"}).as_array().size() == 2);
  auto dup = ev::cli({"cli", "visor", "route", "add-rule", "intfwd", "5000", "7",
                      "42424242-4242-4242-4242-424242424242", "--rpc", v.rpc});
  CHECK(dup.code == 1);
  CHECK(dup.err.find("already in use") != std::string::npos);
  auto rm = ev::call_json(v, {"route", "rm-rule", "5000"});
  CHECK(json::serialize(rm) == "{\"removed\":[5000]}");
  auto missing = ev::cli({"cli", "visor", "route", "rule", "5000", "--rpc", v.rpc});
  CHECK(missing.code == 1);
  CHECK(missing.err.find("no such rule") != std::string::npos);
  auto bad = ev::cli({"cli", "visor", "route", "rule", "0", "--rpc", v.rpc});
  CHECK(bad.code == 2);
  auto help = ev::cli({"cli", "visor", "route", "add-rule", "fwd", "--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("<next-tpid>") != std::string::npos);
  {
    auto st2 = dn::dial_retry(self, sn, address{*vpk, port{136}});
    REQUIRE(st2);
    rpc_stream c{self, *st2};
    CHECK(ids_of(c.call("RPCGateway.ReserveIDs", gob::schema::uint_(), gob::value::of_uint(1)))
          == std::vector<uint32_t>{5001});
  }

  // a stranger's stream is closed at once and counted
  auto stranger = n.client(n.client_cfg("route-e2e-mallory"));
  auto ms = dn::dial_retry(self, stranger, address{*vpk, port{136}});
  REQUIRE(ms);
  self->send(ms->stream, api::set_owner_atom::value, caf::actor{self});
  bool closed = false;
  self->receive_while([&] { return !closed; })(
    [&](api::closed_atom, caf::error&) { closed = true; }, [&](api::data_atom, api::byte_buffer&) {},
    [&](api::ack_atom, uint64_t) {}, caf::after(10s) >> [&] { FAIL("the stranger's stream stayed open"); });
  CHECK(closed);
  auto info = ev::call_json(v, {"info"}).as_object();
  auto& gw = info.at("setup_gateway").as_object();
  CHECK(gw.at("refused_streams").as_int64() == 1);
  CHECK(gw.at("calls").as_int64() == 4);
  CHECK(gw.at("calls_refused").as_int64() == 1);
  auto& routing = info.at("routing").as_object();
  CHECK(routing.at("rules").as_int64() == 1);
  CHECK(routing.at("last_route_id").as_int64() == 5001);
  CHECK(skywire::test::wait_for_text(v.log, "not in routing.route_setup_nodes", 2s));
  v.p.kill_now();
}
