// The route finder's JSON bodies (POST /routes) against routing.json's
// route_finder_json (Go: json.Marshal of rfclient.FindRoutesRequest, and the
// route finder's answer written by encoding/json), and the strict decoders.
#include <doctest/doctest.h>

#include "messages/wire/routing/route_finder.hpp"
#include "tests/messages/wire/wire_vectors.hpp"

using namespace skywire;
using namespace skywire::wire::routing;

namespace {

const boost::json::object& rf_vec() {
  return wire_test::vectors("routing.json").as_object().at("route_finder_json").as_object();
}

std::string vec_string(std::string_view key) {
  const auto& s = rf_vec().at(key).as_string();
  return {s.data(), s.size()};
}

public_key key(std::string_view hex) {
  return *public_key::from_hex(hex);
}

const public_key pk_a = key("03423b3a4e823ff981b6855640b4f78846d819880fd9ee1ab829bc069ea46f67f5");
const public_key pk_b = key("02dc7806760f94f273229dc0565769f7faff39b8e22e7cd44cf05a6ebcfce454be");
const transport_id tp_ab = *transport_id::from_string("9ff2818c-b326-0541-9f0b-f73272312553");

public_key filled(uint8_t b) {
  public_key pk;
  pk.bytes.fill(b);
  pk.bytes[0] = 0x02;
  return pk;
}

transport_id tid(uint8_t b) {
  transport_id t;
  t.bytes.fill(b);
  return t;
}

std::string hop_json(const transport_id& t, const public_key& f, const public_key& to) {
  return R"({"TpID":")" + t.to_string() + R"(","From":")" + f.hex() + R"(","To":")" + to.hex()
         + R"("})";
}

} // namespace

TEST_CASE("route finder: the Go request is reproduced byte for byte and decodes back") {
  find_routes_request r{{{pk_a, pk_b}, {pk_b, pk_a}}, {0, 50}};
  CHECK(encode_find_routes_request(r) == vec_string("request_json"));
  auto back = decode_find_routes_request(vec_string("request_json"));
  REQUIRE_MESSAGE(back, describe(back.error()));
  CHECK(*back == r);
}

TEST_CASE("route finder: the Go answer is reproduced byte for byte (sorted keys, newline)") {
  routes_map m;
  m[{pk_a, pk_b}] = {{{tp_ab, pk_a, pk_b}}};
  m[{pk_b, pk_a}] = {{{tp_ab, pk_b, pk_a}}};
  // encoding/json's Encoder: the vector is Marshal's bytes, Encode adds "\n"
  CHECK(encode_routes(m) == vec_string("response_example_json") + "\n");
  auto back = decode_routes(vec_string("response_example_json"));
  REQUIRE_MESSAGE(back, describe(back.error()));
  REQUIRE(back->size() == 2);
  const auto& p = back->at({pk_b, pk_a});
  REQUIRE(p.size() == 1);
  REQUIRE(p[0].size() == 1);
  CHECK(p[0][0].tp_id == tp_ab);
  CHECK(p[0][0].from == pk_b);
  CHECK(p[0][0].to == pk_a);
  find_routes_request asked{{{pk_a, pk_b}, {pk_b, pk_a}}, {0, 50}};
  CHECK(decode_routes_answer(vec_string("response_example_json"), asked));
}

TEST_CASE("route finder: path edges are <66 hex>:<66 hex> with non-null keys") {
  auto e = parse_path_edge(pk_a.hex() + ":" + pk_b.hex());
  REQUIRE(e);
  CHECK(to_string(*e) == pk_a.hex() + ":" + pk_b.hex());
  CHECK_FALSE(parse_path_edge(pk_a.hex() + pk_b.hex()));
  CHECK_FALSE(parse_path_edge(pk_a.hex() + ";" + pk_b.hex()));
  CHECK_FALSE(parse_path_edge(pk_a.hex() + ":" + std::string(66, '0')));
  CHECK_FALSE(parse_path_edge(pk_a.hex() + ":" + pk_b.hex().substr(0, 64) + "zz"));
  CHECK_FALSE(parse_path_edge(""));
}

TEST_CASE("route finder: request decoding is strict and bounded") {
  auto edge = '"' + pk_a.hex() + ":" + pk_b.hex() + '"';
  // absent, null Opts and Edges are Go's zero values
  auto r = decode_find_routes_request(R"({"Edges":null})");
  REQUIRE(r);
  CHECK(r->edges.empty());
  CHECK(r->opts == route_options{});
  r = decode_find_routes_request(R"({"Edges":[)" + edge + R"(],"Opts":{"MaxHops":7}})");
  REQUIRE(r);
  CHECK(r->opts == route_options{0, 7});
  CHECK_FALSE(decode_find_routes_request("[]"));
  CHECK_FALSE(decode_find_routes_request("{"));
  CHECK_FALSE(decode_find_routes_request(R"({"Edges":"x"})"));
  CHECK_FALSE(decode_find_routes_request(R"({"Edges":[1]})"));
  CHECK_FALSE(decode_find_routes_request(R"({"Edges":[)" + edge + R"(],"Opts":{"MinHops":-1}})"));
  CHECK_FALSE(decode_find_routes_request(R"({"Edges":[)" + edge
                                         + R"(],"Opts":{"MaxHops":65536}})"));
  CHECK_FALSE(decode_find_routes_request(R"({"Edges":[)" + edge + R"(],"Opts":{"MaxHops":1.5}})"));
  CHECK_FALSE(decode_find_routes_request(R"({"Edges":[)" + edge + R"(],"Opts":[]})"));
  rf_limits lim;
  lim.max_edges = 2;
  auto three = R"({"Edges":[)" + edge + "," + edge + "," + edge + "]}";
  CHECK_FALSE(decode_find_routes_request(three, lim));
  lim.max_edges = 3;
  CHECK(decode_find_routes_request(three, lim));
  lim.max_bytes = 100;
  CHECK_FALSE(decode_find_routes_request(three, lim));
}

TEST_CASE("route finder: answer decoding rejects what is not a map of paths of hops") {
  auto k = pk_a.hex() + ":" + pk_b.hex();
  auto h = hop_json(tp_ab, pk_a, pk_b);
  CHECK(decode_routes("{\"" + k + "\":[[" + h + "]]}"));
  CHECK(decode_routes("{}"));
  CHECK_FALSE(decode_routes("[]"));
  CHECK_FALSE(decode_routes("{\"" + k + "\":null}"));
  CHECK_FALSE(decode_routes("{\"" + k + "\":[null]}"));
  CHECK_FALSE(decode_routes("{\"" + k + "\":[[]]}"));
  CHECK_FALSE(decode_routes("{\"" + k + "\":[[null]]}"));
  CHECK_FALSE(decode_routes("{\"x\":[[" + h + "]]}"));
  CHECK_FALSE(decode_routes("{\"" + k + "\":[[{\"TpID\":\"nope\",\"From\":\"" + pk_a.hex()
                            + "\",\"To\":\"" + pk_b.hex() + "\"}]]}"));
  CHECK_FALSE(decode_routes("{\"" + k + "\":[[{\"From\":\"" + pk_a.hex() + "\",\"To\":\""
                            + pk_b.hex() + "\"}]]}"));
  CHECK_FALSE(decode_routes("{\"" + k + "\":[[[[[[" + h + "]]]]]]}")); // too deep
  rf_limits lim;
  lim.max_paths = 2;
  auto three = "{\"" + k + "\":[[" + h + "],[" + h + "],[" + h + "]]}";
  CHECK_FALSE(decode_routes(three, lim));
  lim = {};
  lim.max_hops = 2;
  CHECK_FALSE(decode_routes("{\"" + k + "\":[[" + h + "," + h + "," + h + "]]}", lim));
  lim = {};
  lim.max_bytes = 64;
  CHECK_FALSE(decode_routes(three, lim));
}

TEST_CASE("route finder: check_path accepts routes and refuses broken, looping or out of bounds ones") {
  auto a = filled(1), b = filled(2), c = filled(3), d = filled(4);
  path_edge ad{a, d};
  path good{{tid(1), a, b}, {tid(2), b, c}, {tid(3), c, d}};
  CHECK_FALSE(check_path(ad, good, {0, 50}));
  CHECK_FALSE(check_path(ad, good, {3, 3}));
  CHECK(check_path(ad, good, {4, 50}));          // too short
  CHECK(check_path(ad, good, {0, 2}));           // too long
  CHECK(check_path(ad, {}, {0, 50}));            // empty
  CHECK(check_path({b, d}, good, {0, 50}));      // wrong start
  CHECK(check_path({a, c}, good, {0, 50}));      // wrong end
  path gap{{tid(1), a, b}, {tid(3), c, d}};
  CHECK(check_path(ad, gap, {0, 50}));
  path twice{{tid(1), a, b}, {tid(2), b, c}, {tid(4), c, b}, {tid(5), b, d}};
  CHECK(check_path(ad, twice, {0, 50}));
  path back_to_src{{tid(1), a, b}, {tid(2), b, a}, {tid(6), a, d}};
  CHECK(check_path(ad, back_to_src, {0, 50}));
  path self{{tid(1), a, a}, {tid(6), a, d}};
  CHECK(check_path(ad, self, {0, 50}));
  path null_hop{{tid(1), a, public_key{}}, {tid(6), public_key{}, d}};
  CHECK(check_path(ad, null_hop, {0, 50}));
  // a loop (src = dst) may come back to its start at the end only
  path loop{{tid(1), a, b}, {tid(2), b, c}, {tid(3), c, a}};
  CHECK_FALSE(check_path({a, a}, loop, {0, 3}));
}

TEST_CASE("route finder: an answer must answer exactly the edges asked, with valid paths") {
  auto a = filled(1), b = filled(2);
  find_routes_request asked{{{a, b}}, {0, 5}};
  routes_map ok{{{a, b}, {{{tid(1), a, b}}}}};
  CHECK(decode_routes_answer(encode_routes(ok), asked));
  routes_map extra = ok;
  extra[{b, a}] = {{{tid(1), b, a}}};
  CHECK_FALSE(decode_routes_answer(encode_routes(extra), asked));
  CHECK_FALSE(decode_routes_answer("{}", asked));
  routes_map empty{{{a, b}, {}}};
  CHECK_FALSE(decode_routes_answer(encode_routes(empty), asked));
  routes_map wrong{{{a, b}, {{{tid(1), b, a}}}}};
  CHECK_FALSE(decode_routes_answer(encode_routes(wrong), asked));
}
