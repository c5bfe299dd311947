// The route finder's API without sockets: the reference's bodies byte for
// byte (the vectors' route_finder_json), its error shapes, health, metrics,
// and the refresh a miss asks for.
#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "actors/services/route_finder/api.hpp"
#include "messages/wire/health.hpp"
#include "support.hpp"
#include "tests/support/build_paths.hpp"

using namespace skywire;
using namespace rf_test;
namespace wr = skywire::wire::routing;

namespace {

const boost::json::object& rf_vec() {
  static const auto v = [] {
    std::ifstream in{std::string{SKYWIRE_VECTORS_DIR} + "/skywire/routing.json"};
    std::stringstream ss;
    ss << in.rdbuf();
    return boost::json::parse(ss.str());
  }();
  return v.as_object().at("route_finder_json").as_object();
}

std::string vec_string(std::string_view k) {
  const auto& s = rf_vec().at(k).as_string();
  return {s.data(), s.size()};
}

/// A source whose graph the test sets and whose refreshes it counts.
struct test_source : rf::graph_source {
  std::shared_ptr<const rf::graph> g;
  std::atomic<int> refreshes{0};
  std::shared_ptr<const rf::graph> current() const override { return g; }
  void refresh() override { ++refreshes; }
};

std::shared_ptr<test_source> source_of(rf::graph g) {
  auto s = std::make_shared<test_source>();
  s->g = std::make_shared<const rf::graph>(std::move(g));
  return s;
}

std::string request(std::vector<std::pair<uint32_t, uint32_t>> edges, uint16_t min,
                    uint16_t max) {
  wr::find_routes_request r;
  for (auto [a, b] : edges)
    r.edges.push_back({key(a), key(b)});
  r.opts = {min, max};
  return wr::encode_find_routes_request(r);
}

std::string error_body(std::string_view msg, int code) {
  return R"({"error":{"message":")" + std::string{msg} + R"(","code":)" + std::to_string(code)
         + "}}\n";
}

} // namespace

TEST_CASE("route finder API: the vectors' request gets the vectors' answer, byte for byte") {
  auto a = *public_key::from_hex("03423b3a4e823ff981b6855640b4f78846d819880fd9ee1ab829bc069ea46f67f5");
  auto b = *public_key::from_hex("02dc7806760f94f273229dc0565769f7faff39b8e22e7cd44cf05a6ebcfce454be");
  wt::entry e;
  e.id = *transport_id::from_string("9ff2818c-b326-0541-9f0b-f73272312553");
  e.edges = wt::sort_edges(a, b);
  e.type = "stcpr";
  std::vector<wt::entry> es{e};
  rf::rf_api api{{}, source_of(rf::graph::build(es))};
  auto r = api.find_routes(vec_string("request_json"));
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == vec_string("response_example_json") + "\n");
}

TEST_CASE("route finder API: several edges, k paths each, bounds honoured") {
  // a 3x3 grid: 0..8
  auto src = source_of(make_graph({{0, 1}, {1, 2}, {3, 4}, {4, 5}, {6, 7}, {7, 8}, {0, 3},
                                   {3, 6}, {1, 4}, {4, 7}, {2, 5}, {5, 8}}));
  rf::rf_config cfg;
  cfg.paths_per_edge = 3;
  rf::rf_api api{cfg, src};
  auto r = api.find_routes(request({{0, 8}, {8, 0}}, 0, 50));
  REQUIRE(r.status == 200);
  wr::find_routes_request asked{{{key(0), key(8)}, {key(8), key(0)}}, {0, 50}};
  auto m = wr::decode_routes_answer(r.body, asked);
  REQUIRE_MESSAGE(m, describe(m.error()));
  for (const auto& [edge, paths] : *m) {
    CHECK(paths.size() == 3);
    for (const auto& p : paths)
      CHECK(p.size() == 4);
  }
  r = api.find_routes(request({{0, 1}}, 5, 5));
  REQUIRE(r.status == 200);
  m = wr::decode_routes_answer(r.body, {{{key(0), key(1)}}, {5, 5}});
  REQUIRE(m);
  CHECK(m->begin()->second.size() == 2); // 0-3-4-5-2-1 and 0-3-6-7-4-1
}

TEST_CASE("route finder API: 404, 400 and 500 in the reference's shape") {
  auto src = source_of(make_graph({{0, 1}, {1, 2}, {5, 6}}));
  rf::rf_config cfg;
  cfg.miss_refresh = std::chrono::hours{1};
  rf::rf_api api{cfg, src};
  auto r = api.find_routes(request({{9, 1}}, 0, 50));
  CHECK(r.status == 404);
  CHECK(r.body == error_body("transport not found", 404));
  r = api.find_routes(request({{0, 6}}, 0, 50));
  CHECK(r.status == 404);
  CHECK(r.body == error_body("route not found", 404));
  // one edge without a route fails the request, as the reference
  r = api.find_routes(request({{0, 2}, {0, 6}}, 0, 50));
  CHECK(r.status == 404);
  r = api.find_routes(request({{0, 2}}, 3, 50));
  CHECK(r.status == 404);
  r = api.find_routes("{\"Edges\":[");
  CHECK(r.status == 400);
  auto v = boost::json::parse(r.body);
  CHECK(v.at("error").at("code").as_int64() == 400);
  CHECK(!v.at("error").at("message").as_string().empty());
  CHECK(api.find_routes("{\"Edges\":[\"zz\"]}").status == 400);
  // no edges: an empty map, as the reference
  r = api.find_routes(R"({"Edges":[],"Opts":{"MinHops":0,"MaxHops":5}})");
  CHECK(r.status == 200);
  CHECK(r.body == "{}\n");
  // too many edges for the bound
  std::vector<std::pair<uint32_t, uint32_t>> many(cfg.max_edges + 1, {0, 1});
  CHECK(api.find_routes(request(many, 0, 5)).status == 400);
  // no graph yet
  auto none = std::make_shared<test_source>();
  rf::rf_api empty{{}, none};
  r = empty.find_routes(request({{0, 1}}, 0, 5));
  CHECK(r.status == 500);
  CHECK(r.body == error_body("the transport graph is not loaded yet", 500));
}

TEST_CASE("route finder API: a miss on an old graph asks for a fresh one, a fresh graph does not") {
  auto src = source_of(make_graph({{0, 1}}));
  rf::rf_config cfg;
  cfg.miss_refresh = std::chrono::hours{1};
  rf::rf_api fresh{cfg, src};
  CHECK(fresh.find_routes(request({{0, 7}}, 0, 5)).status == 404);
  CHECK(src->refreshes == 0);
  cfg.miss_refresh = std::chrono::nanoseconds{0};
  rf::rf_api old{cfg, src};
  CHECK(old.find_routes(request({{0, 7}}, 0, 5)).status == 404);
  CHECK(src->refreshes == 1);
  CHECK(old.find_routes(request({{0, 1}}, 0, 5)).status == 200);
  CHECK(src->refreshes == 1);
  CHECK(old.sweep() == 0);
  CHECK(src->refreshes == 2);
}

TEST_CASE("route finder API: health and metrics") {
  rf::rf_config cfg;
  cfg.version = "rf-test 1";
  rf::rf_api api{cfg, source_of(make_graph({{0, 1}}))};
  auto r = api.handle(rf::rf_op::health, {});
  CHECK(r.status == 200);
  auto h = wire::decode_health(r.body);
  REQUIRE(h);
  REQUIRE(h->build_info);
  CHECK(h->build_info->version == "rf-test 1");
  (void)api.find_routes(request({{0, 1}}, 0, 5));
  (void)api.find_routes("nope");
  r = api.handle(rf::rf_op::metrics, {});
  CHECK(r.status == 200);
  CHECK(r.body.find("rf_requests_total 2\n") != std::string::npos);
  CHECK(r.body.find("rf_bad_requests_total 1\n") != std::string::npos);
  CHECK(r.body.find("rf_edges_found_total 1\n") != std::string::npos);
}
