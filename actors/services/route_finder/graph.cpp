#include "actors/services/route_finder/graph.hpp"

#include <algorithm>

namespace skywire::services::route_finder {

graph graph::build(std::span<const wire::transport::entry> entries) {
  graph g;
  g.keys_.reserve(entries.size());
  for (const auto& e : entries) {
    g.keys_.push_back(e.edges[0]);
    g.keys_.push_back(e.edges[1]);
  }
  std::sort(g.keys_.begin(), g.keys_.end());
  g.keys_.erase(std::unique(g.keys_.begin(), g.keys_.end()), g.keys_.end());
  g.index_.reserve(g.keys_.size());
  for (size_t i = 0; i < g.keys_.size(); ++i)
    g.index_.emplace(g.keys_[i], static_cast<vid>(i));
  // One transport per pair of keys: the last one given.
  std::unordered_map<uint64_t, transport_id> pairs;
  pairs.reserve(entries.size());
  for (const auto& e : entries) {
    auto a = g.index_.at(e.edges[0]);
    auto b = g.index_.at(e.edges[1]);
    if (a == b)
      continue;
    if (a > b)
      std::swap(a, b);
    pairs[uint64_t{a} << 32 | b] = e.id;
  }
  size_t n = g.keys_.size();
  g.offsets_.assign(n + 1, 0);
  for (const auto& [k, id] : pairs) {
    ++g.offsets_[(k >> 32) + 1];
    ++g.offsets_[(k & 0xffffffff) + 1];
  }
  for (size_t v = 0; v < n; ++v)
    g.offsets_[v + 1] += g.offsets_[v];
  g.targets_.resize(g.offsets_[n]);
  g.tps_.resize(g.offsets_[n]);
  std::vector<uint32_t> fill(g.offsets_.begin(), g.offsets_.end() - 1);
  for (const auto& [k, id] : pairs) {
    auto a = static_cast<vid>(k >> 32);
    auto b = static_cast<vid>(k & 0xffffffff);
    g.targets_[fill[a]] = b;
    g.tps_[fill[a]++] = id;
    g.targets_[fill[b]] = a;
    g.tps_[fill[b]++] = id;
  }
  // Neighbours in key order, so the search (and its answer) is deterministic.
  std::vector<std::pair<vid, transport_id>> tmp;
  for (size_t v = 0; v < n; ++v) {
    tmp.clear();
    for (auto i = g.offsets_[v]; i < g.offsets_[v + 1]; ++i)
      tmp.emplace_back(g.targets_[i], g.tps_[i]);
    std::sort(tmp.begin(), tmp.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    for (size_t j = 0; j < tmp.size(); ++j) {
      g.targets_[g.offsets_[v] + j] = tmp[j].first;
      g.tps_[g.offsets_[v] + j] = tmp[j].second;
    }
  }
  return g;
}

graph::distances::distances(const graph& g, vid to)
  : dist(g.keys_.size(), unreachable), g_(g) {
  dist[to] = 0;
  queue_.push_back(to);
}

void graph::distances::complete_to(size_t depth) {
  depth = std::min<size_t>(depth, unreachable - 1);
  while (done_ < depth && head_ < queue_.size()) {
    const size_t layer_end = queue_.size();
    for (; head_ < layer_end; ++head_) {
      const vid v = queue_[head_];
      for (auto i = g_.offsets_[v]; i < g_.offsets_[v + 1]; ++i) {
        const vid w = g_.targets_[i];
        if (dist[w] == unreachable) {
          dist[w] = static_cast<uint16_t>(dist[v] + 1);
          queue_.push_back(w);
        }
      }
    }
    ++done_;
  }
}

graph::result graph::find(const query& q) const {
  result r;
  auto si = index_.find(q.src);
  if (si == index_.end()) {
    r.what = result::outcome::unknown_source;
    return r;
  }
  r.what = result::outcome::no_route;
  auto di = index_.find(q.dst);
  if (di == index_.end() || q.k == 0)
    return r;
  const vid s = si->second;
  const vid d = di->second;
  const size_t n = keys_.size();
  size_t lo = std::max<size_t>(q.min_hops, 1);
  // A simple path has at most n - 1 hops, a loop back to the source n.
  size_t hi = std::min<size_t>(q.max_hops, s == d ? n : n - 1);
  // Distances to d, layer by layer as the search needs them: only as far
  // as s (the shortest path), then as far as each length L needs (L - 1).
  distances dd{*this, d};
  const auto& dist = dd.dist;
  if (s == d) {
    lo = std::max<size_t>(lo, 2);
  } else {
    for (size_t depth = 1; dist[s] == unreachable && depth <= hi && !dd.exhausted(); ++depth)
      dd.complete_to(depth);
    if (dist[s] == unreachable)
      return r; // farther than max_hops, or not connected
    lo = std::max<size_t>(lo, dist[s]);
  }

  struct frame {
    vid v;
    uint32_t next; ///< the next adjacency of v to try
  };
  std::vector<frame> stack;
  std::vector<uint8_t> on_path(n, 0);
  auto record = [&](uint32_t last_adj) {
    path p;
    p.reserve(stack.size());
    for (size_t i = 0; i < stack.size(); ++i) {
      vid to = i + 1 < stack.size() ? stack[i + 1].v : d;
      uint32_t adj = i + 1 < stack.size() ? stack[i].next - 1 : last_adj;
      p.push_back(hop{tps_[adj], keys_[stack[i].v], keys_[to]});
    }
    r.paths.push_back(std::move(p));
  };

  for (size_t len = lo; len <= hi && r.paths.size() < q.k && !r.budget_spent; ++len) {
    dd.complete_to(len - 1);
    stack.clear();
    stack.push_back({s, offsets_[s]});
    on_path[s] = 1;
    while (!stack.empty() && r.paths.size() < q.k) {
      auto& f = stack.back();
      if (f.next == offsets_[f.v + 1]) {
        on_path[f.v] = 0;
        stack.pop_back();
        continue;
      }
      if (r.expanded >= q.budget) {
        r.budget_spent = true;
        break;
      }
      ++r.expanded;
      const uint32_t adj = f.next++;
      const vid w = targets_[adj];
      const size_t remaining = len - stack.size(); // hops left after this one
      if (w == d) {
        if (remaining == 0)
          record(adj);
        continue;
      }
      if (on_path[w] != 0 || dist[w] > remaining)
        continue;
      on_path[w] = 1;
      stack.push_back({w, offsets_[w]});
    }
    for (const auto& f : stack)
      on_path[f.v] = 0;
  }
  if (!r.paths.empty())
    r.what = result::outcome::found;
  return r;
}

} // namespace skywire::services::route_finder
