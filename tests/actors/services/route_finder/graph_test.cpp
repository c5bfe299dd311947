// The route finder's graph: k loop-free, distinct paths, shortest first, at
// any length within min/max hops, including where the reference's search
// (one candidate per last neighbour of the destination) finds none.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace rf_test;
using outcome = rf::graph::result::outcome;

namespace {

rf::graph::result find(const rf::graph& g, uint32_t s, uint32_t d, uint16_t min, uint16_t max,
                       size_t k = 5) {
  rf::graph::query q;
  q.src = key(s);
  q.dst = key(d);
  q.min_hops = min;
  q.max_hops = max;
  q.k = k;
  auto r = g.find(q);
  check_answer(r, s, d, {min, max});
  return r;
}

/// 0 - 1 - 2 - ... - (n-1)
rf::graph line(uint32_t n) {
  std::vector<std::pair<uint32_t, uint32_t>> p;
  for (uint32_t i = 0; i + 1 < n; ++i)
    p.emplace_back(i, i + 1);
  return make_graph(p);
}

/// w x h grid, vertex y*w + x.
rf::graph grid(uint32_t w, uint32_t h) {
  std::vector<std::pair<uint32_t, uint32_t>> p;
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x) {
      if (x + 1 < w)
        p.emplace_back(y * w + x, y * w + x + 1);
      if (y + 1 < h)
        p.emplace_back(y * w + x, (y + 1) * w + x);
    }
  return make_graph(p);
}

} // namespace

TEST_CASE("route finder graph: paths of 1, 2, 3, 5 and 12 hops along a line") {
  auto g = line(13);
  CHECK(g.vertices() == 13);
  CHECK(g.edges() == 12);
  for (uint32_t hops : {1u, 2u, 3u, 5u, 12u}) {
    CAPTURE(hops);
    auto r = find(g, 0, hops, 0, 50);
    REQUIRE(r.what == outcome::found);
    REQUIRE(r.paths.size() == 1);
    CHECK(r.paths[0].size() == hops);
    std::vector<uint32_t> want;
    for (uint32_t i = 0; i <= hops; ++i)
      want.push_back(i);
    CHECK(keys_of(r.paths[0]) == want);
    // and backwards: hops go from the source's side
    auto back = find(g, hops, 0, 0, 50);
    REQUIRE(back.paths.size() == 1);
    CHECK(back.paths[0].front().from == key(hops));
    CHECK(back.paths[0].front().tp_id == r.paths[0].back().tp_id);
  }
}

TEST_CASE("route finder graph: max hops below the distance, and min hops above any path, find none") {
  auto g = line(6);
  CHECK(find(g, 0, 5, 0, 4).what == outcome::no_route);
  CHECK(find(g, 0, 5, 6, 50).what == outcome::no_route);
  CHECK(find(g, 0, 5, 5, 5).what == outcome::found);
  CHECK(find(g, 0, 5, 0, 0).what == outcome::no_route); // MaxHops 0, as the reference
}

TEST_CASE("route finder graph: min hops longer than the shortest path, where the reference finds none") {
  // 0 - 1 - 9 is the shortest path; the destination 9 has one neighbour (1),
  // at distance 1 from 0: the reference's only candidate is 2 hops long, so
  // with MinHops 3 it answers 404. 0 - 2 - 3 - 1 - 9 is 4 hops and loop-free.
  auto g = make_graph({{0, 1}, {1, 9}, {0, 2}, {2, 3}, {3, 1}});
  auto r = find(g, 0, 9, 3, 50);
  REQUIRE(r.what == outcome::found);
  REQUIRE(r.paths.size() == 1);
  CHECK(keys_of(r.paths[0]) == std::vector<uint32_t>{0, 2, 3, 1, 9});
  // without the bound, both, shortest first
  r = find(g, 0, 9, 0, 50);
  REQUIRE(r.paths.size() == 2);
  CHECK(keys_of(r.paths[0]) == std::vector<uint32_t>{0, 1, 9});
  CHECK(keys_of(r.paths[1]) == std::vector<uint32_t>{0, 2, 3, 1, 9});
}

TEST_CASE("route finder graph: 5-hop routes where the destination's neighbours are all near the source") {
  // issue #1814 of the reference: beyond 2 hops nothing comes back. Both
  // neighbours of 100 (1 and 2) are 1 hop from 0, so the reference's
  // candidates are all 2 hops long; a detour 0-10-11-12 makes 5.
  auto g = make_graph({{0, 1}, {0, 2}, {1, 100}, {2, 100}, {0, 10}, {10, 11}, {11, 12},
                       {12, 1}, {12, 2}});
  auto r = find(g, 0, 100, 5, 5);
  REQUIRE(r.what == outcome::found);
  REQUIRE(r.paths.size() == 2);
  CHECK(keys_of(r.paths[0]) == std::vector<uint32_t>{0, 10, 11, 12, 1, 100});
  CHECK(keys_of(r.paths[1]) == std::vector<uint32_t>{0, 10, 11, 12, 2, 100});
  // no 3-hop path; 4 hops: through 12 from one neighbour to the other
  CHECK(find(g, 0, 100, 3, 3).what == outcome::no_route);
  r = find(g, 0, 100, 4, 4);
  REQUIRE(r.what == outcome::found);
  CHECK(r.paths.size() == 2);
  CHECK(keys_of(r.paths[0]) == std::vector<uint32_t>{0, 1, 12, 2, 100});
}

TEST_CASE("route finder graph: k paths, loop-free, distinct, shortest first on a grid") {
  auto g = grid(4, 4);
  auto r = find(g, 0, 15, 0, 50);
  REQUIRE(r.what == outcome::found);
  CHECK(r.paths.size() == 5);
  for (const auto& p : r.paths)
    CHECK(p.size() == 6); // C(6,3) = 20 shortest paths: the first five
  r = find(g, 0, 15, 0, 50, 3);
  CHECK(r.paths.size() == 3);
  // at least 8 hops: longer detours only
  r = find(g, 0, 15, 8, 50);
  REQUIRE(r.paths.size() == 5);
  for (const auto& p : r.paths)
    CHECK(p.size() == 8);
  // neighbours: 1 hop, then 3-hop detours (a grid is bipartite: no 2-hop)
  r = find(g, 0, 1, 0, 50);
  REQUIRE(r.paths.size() == 5);
  CHECK(r.paths[0].size() == 1);
  for (size_t i = 1; i < r.paths.size(); ++i)
    CHECK(r.paths[i].size() >= 3);
}

TEST_CASE("route finder graph: unknown source, unknown destination, another component") {
  auto g = make_graph({{0, 1}, {1, 2}, {5, 6}});
  CHECK(find(g, 7, 1, 0, 50).what == outcome::unknown_source);
  CHECK(find(g, 0, 7, 0, 50).what == outcome::no_route);
  CHECK(find(g, 0, 6, 0, 50).what == outcome::no_route);
  CHECK(find(g, 0, 2, 0, 50, 0).what == outcome::no_route); // k = 0
  rf::graph empty;
  CHECK(find(empty, 0, 1, 0, 50).what == outcome::unknown_source);
}

TEST_CASE("route finder graph: two transports between the same keys are one edge, the later one") {
  std::vector<wt::entry> es{entry(0, 1, 1), entry(1, 2), entry(0, 1, 2)};
  auto g = rf::graph::build(es);
  CHECK(g.edges() == 2);
  auto r = find(g, 0, 2, 0, 50);
  REQUIRE(r.paths.size() == 1);
  CHECK(r.paths[0][0].tp_id == tid(0, 1, 2));
}

TEST_CASE("route finder graph: a loop back to the source (the reference's ping route)") {
  auto g = make_graph({{0, 1}, {1, 2}, {2, 0}});
  auto r = find(g, 0, 0, 0, 2);
  REQUIRE(r.what == outcome::found);
  CHECK(r.paths.size() == 2); // 0-1-0 and 0-2-0, over the same transport
  r = find(g, 0, 0, 3, 3);
  REQUIRE(r.paths.size() == 2); // 0-1-2-0 and 0-2-1-0
  CHECK(keys_of(r.paths[0]) == std::vector<uint32_t>{0, 1, 2, 0});
}

TEST_CASE("route finder graph: the search budget bounds a hopeless search") {
  // A clique of 12 and a long tail: min hops past the clique's reach makes
  // the exact-length search try many simple paths through the clique.
  std::vector<std::pair<uint32_t, uint32_t>> p;
  for (uint32_t a = 0; a < 12; ++a)
    for (uint32_t b = a + 1; b < 12; ++b)
      p.emplace_back(a, b);
  p.emplace_back(11, 20);
  for (uint32_t i = 20; i < 40; ++i) // a tail behind the destination: longer bounds
    p.emplace_back(i, i + 1);
  auto g = make_graph(p);
  rf::graph::query q;
  q.src = key(0);
  q.dst = key(20);
  q.min_hops = 13; // longest simple path is 12 hops: none exists
  q.max_hops = 50;
  q.budget = 100'000;
  auto r = g.find(q);
  CHECK(r.what == outcome::no_route);
  CHECK(r.budget_spent);
  CHECK(r.expanded == q.budget);
  // with room, the longest one is found
  q.min_hops = 12;
  q.budget = 10'000'000;
  r = g.find(q);
  CHECK(r.what == outcome::found);
  CHECK(r.paths.size() == 5);
}
