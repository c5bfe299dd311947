// Route finder bench (issue 10): a generated transport graph of --visors
// (10 000) keys, built the way the reference's network grows (preferential
// attachment: each new visor opens --links transports, mostly to visors
// that already have many, as public visors do), then:
//   * build: graph::build() from the entry list, ms (min of 3);
//   * per query, p50/p99/max in microseconds, for pairs whose shortest path
//     is 1..5 hops (random pairs at that BFS distance), asking what a visor
//     asks (MinHops 0, MaxHops 50, k = 5);
//   * the same pairs forced onto detours (MinHops = shortest + 2), where the
//     reference's search answers nothing;
//   * the whole POST /routes body in the API (decode, two searches: there
//     and back, encode), as the visor's dial sends it.
// Single thread, no sockets. Per query: wall time and this thread's CPU
// time (on a shared machine the wall p99 is mostly preemption; the CPU time
// is the search's own cost). Prints the date and the load average: compare
// runs only at similar load. Exits 1 when a query that has routes gets none.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "actors/services/route_finder/api.hpp"
#include "actors/services/route_finder/graph.hpp"
#include "bench/dmsg_bench_proc.hpp"

using namespace skywire;
namespace rf = skywire::services::route_finder;
namespace wr = skywire::wire::routing;
namespace wt = skywire::wire::transport;
using clk = std::chrono::steady_clock;

namespace {

public_key key_of(uint32_t n) {
  public_key pk;
  pk.bytes[0] = 0x03;
  std::mt19937_64 g{n};
  for (size_t i = 1; i < pk.bytes.size(); i += 8) {
    auto x = g();
    for (size_t j = 0; j < 8 && i + j < pk.bytes.size(); ++j)
      pk.bytes[i + j] = static_cast<uint8_t>(x >> (8 * j));
  }
  return pk;
}

struct generated {
  std::vector<wt::entry> entries;
  std::vector<std::vector<uint32_t>> adj;
};

generated generate(uint32_t visors, uint32_t links, uint64_t seed) {
  generated g;
  g.adj.resize(visors);
  std::mt19937_64 rng{seed};
  std::vector<uint32_t> ends; // every edge end once: picking from it is preferential
  auto add = [&](uint32_t a, uint32_t b) {
    if (a == b || std::find(g.adj[a].begin(), g.adj[a].end(), b) != g.adj[a].end())
      return;
    g.adj[a].push_back(b);
    g.adj[b].push_back(a);
    ends.push_back(a);
    ends.push_back(b);
    wt::entry e;
    for (size_t i = 0; i < 16; ++i)
      e.id.bytes[i] = static_cast<uint8_t>(rng());
    e.edges = wt::sort_edges(key_of(a), key_of(b));
    e.type = (rng() % 3 == 0) ? "sudph" : "stcpr";
    g.entries.push_back(std::move(e));
  };
  for (uint32_t v = 1; v < visors; ++v) {
    for (uint32_t l = 0; l < links; ++l) {
      // half preferential, half uniform: hubs, but not only hubs
      uint32_t to = (ends.empty() || rng() % 2 == 0) ? static_cast<uint32_t>(rng() % v)
                                                     : ends[rng() % ends.size()];
      add(v, to);
    }
  }
  return g;
}

std::vector<int> bfs(const generated& g, uint32_t s) {
  std::vector<int> d(g.adj.size(), -1);
  std::vector<uint32_t> q{s};
  d[s] = 0;
  for (size_t h = 0; h < q.size(); ++h)
    for (auto w : g.adj[q[h]])
      if (d[w] < 0) {
        d[w] = d[q[h]] + 1;
        q.push_back(w);
      }
  return d;
}

/// This thread's CPU time in microseconds (immune to preemption on a loaded machine).
double thread_cpu_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

/// What the reference's search (skywire-protocol.md §4.8) answers for the
/// same query: a BFS tree from s; each neighbour u of d reached is a
/// candidate of length dist(u) + 1 (its tree path plus the hop to d); those
/// within [min, max] count, at most 5, and only when the tree path does not
/// itself pass through d (else the route would visit d twice).
size_t reference_answers(const generated& g, uint32_t s, uint32_t d, int min, int max) {
  std::vector<int> dist(g.adj.size(), -1);
  std::vector<uint32_t> parent(g.adj.size(), 0), q{s};
  dist[s] = 0;
  for (size_t h = 0; h < q.size(); ++h)
    for (auto w : g.adj[q[h]])
      if (dist[w] < 0) {
        dist[w] = dist[q[h]] + 1;
        parent[w] = q[h];
        q.push_back(w);
      }
  size_t n = 0;
  for (auto u : g.adj[d]) {
    int len = dist[u] + 1;
    if (dist[u] < 0 || len < std::max(min, 1) || len > max)
      continue;
    bool through_d = false;
    for (auto v = u; v != s && !through_d; v = parent[v])
      through_d = parent[v] == d;
    if (!through_d && ++n == 5)
      break;
  }
  return n;
}

struct stats {
  std::vector<double> us;  ///< wall time per query
  std::vector<double> cpu; ///< thread CPU time per query
  size_t found = 0, paths = 0, budget = 0;
  size_t ref_found = 0, ref_paths = 0; ///< the reference's search on the same queries
  uint64_t expanded = 0;
};

double pct(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void print(const std::string& what, const stats& s) {
  std::cout << std::left << std::setw(30) << what << std::right << std::fixed
            << std::setprecision(1) << " n=" << std::setw(4) << s.us.size()
            << "  wall p50=" << std::setw(7) << pct(s.us, 0.5) << " p99=" << std::setw(7)
            << pct(s.us, 0.99) << " us  cpu p50=" << std::setw(7) << pct(s.cpu, 0.5)
            << " p99=" << std::setw(7) << pct(s.cpu, 0.99) << " max=" << std::setw(7)
            << (s.cpu.empty() ? 0 : *std::max_element(s.cpu.begin(), s.cpu.end()))
            << " us  found=" << s.found;
  if (s.paths == 0) {
    std::cout << '\n';
    return;
  }
  std::cout << " paths/query="
            << (s.us.empty() ? 0 : static_cast<double>(s.paths) / static_cast<double>(s.us.size()))
            << " expanded/query="
            << (s.us.empty() ? 0 : static_cast<double>(s.expanded) / static_cast<double>(s.us.size()))
            << " budget_spent=" << s.budget << " | reference: found=" << s.ref_found
            << " paths/query="
            << (s.us.empty() ? 0 : static_cast<double>(s.ref_paths) / static_cast<double>(s.us.size()))
            << '\n';
}

} // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  uint32_t visors = 10'000, links = 2, queries = 200;
  uint64_t seed = 1;
  size_t budget = 2'000'000;
  po::options_description desc{"route finder bench options"};
  desc.add_options()("help,h", "this help")("visors", po::value(&visors), "keys (10000)")(
    "links", po::value(&links), "transports each new visor opens (2)")(
    "queries", po::value(&queries), "queries per class (200)")("seed", po::value(&seed),
                                                                 "generator seed (1)")(
    "budget", po::value(&budget), "search budget per query (2000000)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help") != 0) {
    std::cout << desc << '\n';
    return 0;
  }
  auto now = std::time(nullptr);
  std::cout << "RF date=" << std::put_time(std::gmtime(&now), "%Y-%m-%dT%H:%M:%SZ")
            << " loadavg_start=" << dmsg_bench::loadavg() << " visors=" << visors
            << " links=" << links << " queries=" << queries << " seed=" << seed << '\n';
  auto g = generate(visors, links, seed);
  std::cout << "RF transports=" << g.entries.size() << '\n';

  double best = 1e18;
  rf::graph graph;
  for (int i = 0; i < 3; ++i) {
    auto t0 = clk::now();
    graph = rf::graph::build(g.entries);
    best = std::min(best, std::chrono::duration<double, std::milli>(clk::now() - t0).count());
  }
  std::cout << "RF build vertices=" << graph.vertices() << " edges=" << graph.edges()
            << " ms=" << std::setprecision(2) << std::fixed << best << '\n';

  std::mt19937_64 rng{seed + 7};
  // pairs by shortest distance
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> by_dist(8);
  for (int tries = 0; tries < 4000; ++tries) {
    auto s = static_cast<uint32_t>(rng() % visors);
    auto d = bfs(g, s);
    for (int h = 1; h <= 5; ++h) {
      if (by_dist[h].size() >= queries)
        continue;
      std::vector<uint32_t> at;
      for (uint32_t v = 0; v < visors; ++v)
        if (d[v] == h)
          at.push_back(v);
      if (!at.empty())
        by_dist[h].emplace_back(s, at[rng() % at.size()]);
    }
    bool done = true;
    for (int h = 1; h <= 5; ++h)
      done = done && by_dist[h].size() >= queries;
    if (done)
      break;
  }
  auto run = [&](int h, uint16_t extra) {
    stats st;
    for (auto [s, d] : by_dist[h]) {
      rf::graph::query q;
      q.src = key_of(s);
      q.dst = key_of(d);
      q.min_hops = static_cast<uint16_t>(extra == 0 ? 0 : h + extra);
      q.max_hops = 50;
      q.budget = budget;
      auto c0 = thread_cpu_us();
      auto t0 = clk::now();
      auto r = graph.find(q);
      st.us.push_back(std::chrono::duration<double, std::micro>(clk::now() - t0).count());
      st.cpu.push_back(thread_cpu_us() - c0);
      st.found += r.what == rf::graph::result::outcome::found ? 1 : 0;
      st.paths += r.paths.size();
      st.budget += r.budget_spent ? 1 : 0;
      st.expanded += r.expanded;
      auto ref = reference_answers(g, s, d, q.min_hops, q.max_hops);
      st.ref_found += ref > 0 ? 1 : 0;
      st.ref_paths += ref;
    }
    return st;
  };
  // every query has routes in this graph: a class that misses one fails the run
  bool all_found = true;
  for (uint16_t extra : {0, 2})
    for (int h = 1; h <= 5; ++h) {
      auto st = run(h, extra);
      all_found = all_found && st.found == by_dist[h].size();
      print("find shortest=" + std::to_string(h)
              + (extra == 0 ? std::string{" (0..50)"} : " min=" + std::to_string(h + extra)),
            st);
    }

  // The API: a visor's dial request (there and back), decode + search + encode.
  auto src = std::make_shared<rf::fixed_graph_source>(std::move(graph));
  rf::rf_config cfg;
  cfg.search_budget = budget;
  rf::rf_api api{cfg, src};
  for (int h : {1, 3, 5}) {
    stats st;
    for (auto [s, d] : by_dist[h]) {
      auto body = wr::encode_find_routes_request(
        {{{key_of(s), key_of(d)}, {key_of(d), key_of(s)}}, {0, 50}});
      auto c0 = thread_cpu_us();
      auto t0 = clk::now();
      auto r = api.find_routes(body);
      st.us.push_back(std::chrono::duration<double, std::micro>(clk::now() - t0).count());
      st.cpu.push_back(thread_cpu_us() - c0);
      st.found += r.status == 200 ? 1 : 0;
    }
    print("POST /routes both ways h=" + std::to_string(h), st);
  }
  std::cout << "RF end loadavg=" << dmsg_bench::loadavg() << (all_found ? "" : " FAILED: a query found no route")
            << '\n';
  return all_found ? 0 : 1;
}
