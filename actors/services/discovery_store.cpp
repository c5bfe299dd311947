#include "actors/services/discovery_store.hpp"

#include <algorithm>

namespace skywire::services {

using wire::dmsg::entry;

std::optional<entry> memory_discovery_store::get(const public_key& pk, int64_t now_ns) const {
  auto i = entries_.find(pk);
  if (i == entries_.end() || !i->second.live(now_ns))
    return std::nullopt;
  return i->second.e;
}

caf::error memory_discovery_store::put(const entry& e, std::chrono::nanoseconds ttl,
                                       int64_t now_ns) {
  auto i = entries_.find(e.static_pk);
  if (i == entries_.end()) {
    if (entries_.size() >= max_entries_)
      return make_error(wire_errc::oversized, "discovery store is full ("
                                                + std::to_string(max_entries_) + " entries)");
    i = entries_.emplace(e.static_pk, record{}).first;
  }
  i->second.e = e;
  i->second.expires_at = ttl.count() > 0 ? now_ns + ttl.count() : 0;
  return {};
}

bool memory_discovery_store::remove(const public_key& pk) {
  return entries_.erase(pk) > 0;
}

std::vector<public_key> memory_discovery_store::client_keys(int64_t now_ns) const {
  std::vector<public_key> out;
  for (const auto& [pk, r] : entries_)
    if (r.e.client && r.live(now_ns))
      out.push_back(pk);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<entry> memory_discovery_store::available_servers(size_t limit, int64_t now_ns) const {
  std::vector<const entry*> cand;
  for (const auto& [pk, r] : entries_)
    if (r.e.server && r.e.server->available_sessions > 0 && r.live(now_ns))
      cand.push_back(&r.e);
  auto better = [](const entry* a, const entry* b) {
    if (a->server->available_sessions != b->server->available_sessions)
      return a->server->available_sessions > b->server->available_sessions;
    return a->static_pk < b->static_pk;
  };
  auto n = std::min(limit, cand.size());
  std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(n), cand.end(),
                    better);
  std::vector<entry> out;
  out.reserve(n);
  for (size_t k = 0; k < n; ++k)
    out.push_back(*cand[k]);
  return out;
}

std::vector<entry> memory_discovery_store::all_servers(int64_t now_ns) const {
  std::vector<entry> out;
  for (const auto& [pk, r] : entries_)
    if (r.e.server && r.live(now_ns))
      out.push_back(r.e);
  std::sort(out.begin(), out.end(),
            [](const entry& a, const entry& b) { return a.static_pk < b.static_pk; });
  return out;
}

size_t memory_discovery_store::sweep(int64_t now_ns) {
  return std::erase_if(entries_, [now_ns](const auto& kv) { return !kv.second.live(now_ns); });
}

discovery_store::counts memory_discovery_store::count() const {
  counts c;
  for (const auto& [pk, r] : entries_) {
    if (r.e.server)
      ++c.servers;
    else if (r.e.client)
      ++c.clients;
  }
  return c;
}

} // namespace skywire::services
