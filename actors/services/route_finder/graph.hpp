// The route finder's graph (reference §4.8, and what we do instead): a plain
// class built from transport-discovery entries, answering up to k loop-free
// paths between two keys with min_hops <= length <= max_hops, shortest first,
// at any length.
//
// The reference runs one Dijkstra from the source and keeps one candidate
// per last neighbour of the destination, so it never returns more than the
// shortest-path tree allows (nothing beyond 2 hops in practice, issue #1814).
// Here: a BFS from the destination gives keys' distances to it (a lower
// bound on any path's remaining length; run layer by layer only as deep as
// the search needs), then an iterative-deepening
// search enumerates the simple paths of length L = max(min_hops, shortest),
// L+1, ... in order, each by a depth-first search that never steps onto a
// key already on the path and prunes every branch that cannot reach the
// destination in the hops left. It stops at k paths, at max_hops, or when a
// budget of expanded edges is spent (finding paths of an exact length is
// NP-hard in general; the budget bounds a request's CPU; bench/
// route_finder_bench.cpp measures it on 10 000 visors).
//
// Vertices are keys; every transport is an undirected edge of weight 1. Two
// keys joined by several transports are one edge: the transport that comes
// last in the input (the reference: the last one read wins). Paths are
// distinct as key sequences and loop-free (no key twice; with src = dst a
// loop that returns to src only at its end). Immutable once built: shared by
// readers on any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "messages/ids.hpp"
#include "messages/wire/routing/route_finder.hpp"
#include "messages/wire/transport/entry.hpp"

namespace skywire::services::route_finder {

using wire::routing::hop;
using wire::routing::path;

class graph {
public:
  graph() = default;

  /// Builds the graph of `entries` (in the order given: for a pair of keys
  /// joined twice the later transport wins).
  static graph build(std::span<const wire::transport::entry> entries);

  size_t vertices() const noexcept { return keys_.size(); }
  size_t edges() const noexcept { return targets_.size() / 2; }
  bool contains(const public_key& pk) const { return index_.contains(pk); }

  struct query {
    public_key src;
    public_key dst;
    uint16_t min_hops = 0; ///< 0 counts as 1
    uint16_t max_hops = 0;
    size_t k = 5;                    ///< paths wanted at most
    size_t budget = 2'000'000;       ///< edges expanded at most by the search
  };

  struct result {
    enum class outcome : uint8_t {
      found,          ///< paths holds 1..k paths
      unknown_source, ///< src has no transports
      no_route,       ///< no path within the bounds (or none found within the budget)
    } what = outcome::no_route;
    std::vector<path> paths; ///< shortest first; same length: in key order
    bool budget_spent = false; ///< the search stopped at the budget
    size_t expanded = 0;       ///< edges expanded
  };

  result find(const query& q) const;

private:
  using vid = uint32_t;
  static constexpr uint16_t unreachable = 0xffff;

  /// Hop counts to one vertex, a BFS from it completed layer by layer on
  /// demand: after complete_to(k) every vertex within k hops has its
  /// distance, every other one reads `unreachable` (so, > k).
  class distances {
  public:
    distances(const graph& g, vid to);
    void complete_to(size_t depth);
    bool exhausted() const noexcept { return head_ == queue_.size(); }
    std::vector<uint16_t> dist;

  private:
    const graph& g_;
    std::vector<vid> queue_;
    size_t head_ = 0;
    size_t done_ = 0; ///< layers complete: every vertex within done_ hops is known
  };

  std::vector<public_key> keys_;                 ///< vertex -> key (sorted)
  std::unordered_map<public_key, vid> index_;    ///< key -> vertex
  std::vector<uint32_t> offsets_;                ///< CSR: neighbours of v at [offsets_[v], offsets_[v+1])
  std::vector<vid> targets_;                     ///< neighbour vertices, ascending per vertex
  std::vector<transport_id> tps_;                ///< the transport of each adjacency
};

} // namespace skywire::services::route_finder
