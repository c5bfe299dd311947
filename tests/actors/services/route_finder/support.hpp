// Helpers of the route finder tests: numbered keys, transports between them,
// a graph from a list of pairs, and the checks every answer must pass.
#pragma once

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "actors/services/route_finder/graph.hpp"
#include "messages/wire/transport/entry.hpp"

namespace rf_test {

namespace wt = skywire::wire::transport;
namespace rf = skywire::services::route_finder;
using skywire::public_key;
using skywire::transport_id;

/// Key number n (02 || n as 32 bytes big-endian): distinct, ordered by n.
inline public_key key(uint32_t n) {
  public_key pk;
  pk.bytes[0] = 0x02;
  pk.bytes[29] = static_cast<uint8_t>(n >> 24);
  pk.bytes[30] = static_cast<uint8_t>(n >> 16);
  pk.bytes[31] = static_cast<uint8_t>(n >> 8);
  pk.bytes[32] = static_cast<uint8_t>(n);
  return pk;
}

/// A transport ID naming its two keys and a variant (for parallel transports).
inline transport_id tid(uint32_t a, uint32_t b, uint8_t variant = 0) {
  transport_id t;
  t.bytes[0] = variant;
  t.bytes[4] = static_cast<uint8_t>(a >> 8);
  t.bytes[5] = static_cast<uint8_t>(a);
  t.bytes[8] = static_cast<uint8_t>(b >> 8);
  t.bytes[9] = static_cast<uint8_t>(b);
  t.bytes[15] = 1;
  return t;
}

inline wt::entry entry(uint32_t a, uint32_t b, uint8_t variant = 0) {
  wt::entry e;
  e.id = tid(std::min(a, b), std::max(a, b), variant);
  e.edges = wt::sort_edges(key(a), key(b));
  e.type = "stcpr";
  return e;
}

inline std::vector<wt::entry> entries(const std::vector<std::pair<uint32_t, uint32_t>>& pairs) {
  std::vector<wt::entry> out;
  for (auto [a, b] : pairs)
    out.push_back(entry(a, b));
  return out;
}

inline rf::graph make_graph(const std::vector<std::pair<uint32_t, uint32_t>>& pairs) {
  auto es = entries(pairs);
  return rf::graph::build(es);
}

/// The key numbers a path visits, source first.
inline std::vector<uint32_t> keys_of(const rf::path& p) {
  auto num = [](const public_key& pk) {
    return uint32_t{pk.bytes[29]} << 24 | uint32_t{pk.bytes[30]} << 16
           | uint32_t{pk.bytes[31]} << 8 | pk.bytes[32];
  };
  std::vector<uint32_t> out;
  if (p.empty())
    return out;
  out.push_back(num(p.front().from));
  for (const auto& h : p)
    out.push_back(num(h.to));
  return out;
}

/// Every path valid for its edge and bounds (check_path), shortest first,
/// each hop's transport the one joining its keys, and no two the same.
inline void check_answer(const rf::graph::result& r, uint32_t src, uint32_t dst,
                         skywire::wire::routing::route_options opts) {
  std::set<std::vector<uint32_t>> seen;
  size_t last = 0;
  for (const auto& p : r.paths) {
    auto err = skywire::wire::routing::check_path({key(src), key(dst)}, p, opts);
    CHECK_MESSAGE(!err, skywire::describe(err));
    CHECK(p.size() >= last);
    last = p.size();
    auto ks = keys_of(p);
    CHECK(seen.insert(ks).second);
    for (size_t i = 0; i + 1 < ks.size(); ++i) {
      auto a = std::min(ks[i], ks[i + 1]), b = std::max(ks[i], ks[i + 1]);
      CHECK((p[i].tp_id.bytes[5] == static_cast<uint8_t>(a)
             && p[i].tp_id.bytes[9] == static_cast<uint8_t>(b)));
    }
  }
}

} // namespace rf_test
