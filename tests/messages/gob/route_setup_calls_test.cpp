// Typed decoding of the route setup RPC from the reference's bytes, route
// validation, and routing.Failure texts.
#include <doctest/doctest.h>

#include "messages/wire/rpc/net_rpc.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"
#include "tests/messages/gob/vectors.hpp"

using namespace skywire;
using namespace skywire::wire;
namespace rs = skywire::wire::rpc::route_setup;
using skywire::test::hex;
using skywire::test::str;
using skywire::test::unhexv;

namespace {

const boost::json::object& setup_vectors() {
  static const auto v = test::load_vectors("skywire/routing.json");
  return v.as_object().at("setup_node_rpc").as_object();
}

rs::bidirectional_route decoded_request() {
  auto& ch = setup_vectors().at("channels").as_array()[0];
  rpc::server_codec sc;
  sc.feed(unhexv(ch.at("client_to_server_hex")));
  auto r = sc.next_request();
  REQUIRE(r);
  REQUIRE(*r);
  auto route = rs::bidirectional_route_from_gob(sc.decoder(), (*r)->arg);
  REQUIRE_MESSAGE(route, describe(route.error()));
  return *route;
}

} // namespace

TEST_CASE("route setup calls: DialRouteGroup's argument and answer from the reference's bytes") {
  auto route = decoded_request();
  auto& want = setup_vectors().at("route").as_object();
  auto desc = route.desc.bytes();
  CHECK(hex(std::vector<uint8_t>(desc.begin(), desc.end())) == str(want.at("desc_hex")));
  CHECK(route.keep_alive_ns == want.at("keep_alive_ns").as_int64());
  REQUIRE(route.forward.size() == 2);
  REQUIRE(route.reverse.size() == 2);
  CHECK(route.forward[0].tp_id.to_string() == str(want.at("forward").as_array()[0].at("TpID")));
  CHECK(route.reverse[1].to.hex() == str(want.at("reverse").as_array()[1].at("To")));
  CHECK_FALSE(rs::validate(route, 50, 3'600'000'000'000));

  // Re-encoded as Go's client does, it is the same bytes.
  auto& ch = setup_vectors().at("channels").as_array()[0];
  rpc::client_codec cc;
  std::vector<uint8_t> out;
  REQUIRE_FALSE(cc.write_request({std::string{rs::dial_route_group_method}, 0},
                                 rs::bidirectional_route_schema(), rs::to_gob(route), out));
  CHECK(hex(out) == str(ch.at("client_to_server_hex")));

  rpc::client_codec reader;
  reader.feed(unhexv(ch.at("server_to_client_hex")));
  auto resp = reader.next_response();
  REQUIRE(resp);
  REQUIRE(*resp);
  auto e = rs::edge_rules_from_gob(reader.decoder(), (*resp)->reply);
  REQUIRE_MESSAGE(e, describe(e.error()));
  auto& a = setup_vectors().at("alice_received_edge_rules").as_object();
  CHECK(hex(e->forward.encode()) == str(a.at("forward_rule_hex")));
  CHECK(hex(e->reverse.encode()) == str(a.at("reverse_rule_hex")));
  CHECK(e->desc == route.desc.inverted());
}

TEST_CASE("route setup calls: a zero key or transport ID, left out by gob, decodes as zero") {
  // Found by fuzz_setup_request: a hop whose To was 33 zero bytes decoded,
  // was written without the field (gob omits zero values, as Go's encoder
  // does) and the field's absence was then refused.
  auto route = decoded_request();
  route.forward[1].to = public_key{};
  route.reverse[0].tp_id = transport_id{};
  rpc::client_codec cc;
  std::vector<uint8_t> out;
  REQUIRE_FALSE(cc.write_request({std::string{rs::dial_route_group_method}, 1},
                                 rs::bidirectional_route_schema(), rs::to_gob(route), out));
  rpc::server_codec sc;
  sc.feed(out);
  auto r = sc.next_request();
  REQUIRE(r);
  REQUIRE(*r);
  auto again = rs::bidirectional_route_from_gob(sc.decoder(), (*r)->arg);
  REQUIRE_MESSAGE(again, describe(again.error()));
  CHECK(*again == route);
  CHECK(again->forward[1].to == public_key{});
  CHECK(rs::validate(*again, 50, 3'600'000'000'000)); // and validation refuses the null key
}

TEST_CASE("route setup calls: the gateway calls from the reference's bytes") {
  auto& channels = setup_vectors().at("channels").as_array();
  rpc::server_codec sc;
  sc.feed(unhexv(channels[2].at("client_to_server_hex")));
  auto reserve = sc.next_request();
  REQUIRE((reserve && *reserve));
  CHECK(rs::uint8_from_gob((*reserve)->arg) == uint8_t{2});
  auto rules = sc.next_request();
  REQUIRE((rules && *rules));
  auto list = rs::rules_from_gob((*rules)->arg);
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK(list->at(0).type == routing::rule_type::intermediary_forward);
  rpc::client_codec cc;
  cc.feed(unhexv(channels[2].at("server_to_client_hex")));
  auto ids = cc.next_response();
  REQUIRE((ids && *ids));
  auto got = rs::route_ids_from_gob((*ids)->reply);
  REQUIRE(got);
  CHECK(*got == std::vector<route_id>{route_id{21}, route_id{22}});
  auto ok = cc.next_response();
  REQUIRE((ok && *ok));
  CHECK(rs::bool_from_gob((*ok)->reply) == true);
}

TEST_CASE("route setup calls: validation beyond the reference") {
  auto base = decoded_request();
  auto a = base.forward[0].from, c = base.forward[0].to, b = base.forward[1].to;
  auto check_bad = [&](rs::bidirectional_route r, const char* what) {
    CAPTURE(what);
    CHECK(rs::validate(r, 50, 3'600'000'000'000));
  };
  auto r = base;
  r.forward.clear();
  check_bad(r, "empty forward path");
  r = base;
  r.reverse[1].to = c;
  check_bad(r, "reverse path does not end at the source");
  r = base;
  r.forward[1].from = a;
  check_bad(r, "a broken chain");
  r = base;
  r.forward = {{base.forward[0].tp_id, a, c}, {base.forward[1].tp_id, c, a},
               {base.forward[0].tp_id, a, c}, {base.forward[1].tp_id, c, b}};
  check_bad(r, "a key twice");
  r = base;
  r.keep_alive_ns = 0;
  check_bad(r, "zero keep-alive");
  r = base;
  r.forward[0].tp_id = transport_id{};
  check_bad(r, "null transport");
  CHECK(rs::validate(base, 1, 3'600'000'000'000));
  CHECK_FALSE(rs::validate(base, 2, 3'600'000'000'000));
}

TEST_CASE("route setup calls: routing.Failure texts") {
  auto text = rs::failure_text(rs::failure_code::reserve_route_ids, "no more route IDs");
  CHECK(text == str(test::load_vectors("skywire/routing.json").at("failure_error_string_example")));
  auto f = rs::parse_failure_text(text);
  REQUIRE(f);
  CHECK(f->code == rs::failure_code::reserve_route_ids);
  CHECK(f->msg == "no more route IDs");
  CHECK_FALSE(rs::parse_failure_text("rpc: can't find method X"));
  CHECK_FALSE(rs::parse_failure_text("failure code 9 (x)"));
  CHECK_FALSE(rs::parse_failure_text("failure code 1 x"));
}
