#include "actors/services/transport_discovery/store.hpp"

#include <iterator>
#include <utility>

#include "actors/services/transport_discovery/errors.hpp"

namespace skywire::services::transport_discovery {

using wire::transport::entry;

std::optional<transport_store::record> memory_transport_store::get(const transport_id& id,
                                                                   int64_t now_ns) const {
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.live(now_ns))
    return std::nullopt;
  return it->second;
}

std::vector<entry> memory_transport_store::by_edge(const public_key& pk, int64_t now_ns) const {
  std::vector<entry> out;
  auto idx = by_edge_.find(pk);
  if (idx == by_edge_.end())
    return out;
  out.reserve(idx->second.size());
  for (const auto& id : idx->second) {
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.live(now_ns))
      out.push_back(it->second.entry);
  }
  return out;
}

caf::error memory_transport_store::put(const entry& e, std::chrono::nanoseconds ttl,
                                       int64_t now_ns) {
  drop_expired(now_ns);
  auto expires = ttl.count() > 0 ? now_ns + ttl.count() : int64_t{0};
  auto it = entries_.find(e.id);
  if (it != entries_.end()) {
    auto& r = it->second;
    if (r.expires_ns != 0)
      by_expiry_.erase({r.expires_ns, e.id});
    r.entry.label = e.label;
    r.expires_ns = expires;
    if (expires != 0)
      by_expiry_.emplace(expires, e.id);
    return {};
  }
  if (entries_.size() >= limits_.max_entries)
    return make_error(tpd_errc::full, "transport discovery is full ("
                                        + std::to_string(limits_.max_entries)
                                        + " transports): no new transport can be registered "
                                          "until others expire or are deleted");
  for (const auto& edge : e.edges) {
    auto idx = by_edge_.find(edge);
    if (idx != by_edge_.end() && idx->second.size() >= limits_.max_per_edge)
      return make_error(tpd_errc::edge_full, "edge " + edge.hex() + " already has "
                                               + std::to_string(limits_.max_per_edge)
                                               + " transports, the most one key may have");
  }
  entries_.emplace(e.id, record{e, now_ns, expires});
  ++types_[e.type];
  for (const auto& edge : e.edges)
    by_edge_[edge].insert(e.id);
  if (expires != 0)
    by_expiry_.emplace(expires, e.id);
  return {};
}

void memory_transport_store::erase(std::map<transport_id, record>::iterator it) {
  const auto& r = it->second;
  if (r.expires_ns != 0)
    by_expiry_.erase({r.expires_ns, it->first});
  for (const auto& edge : r.entry.edges) {
    auto idx = by_edge_.find(edge);
    if (idx == by_edge_.end())
      continue;
    idx->second.erase(it->first);
    if (idx->second.empty())
      by_edge_.erase(idx);
  }
  if (auto t = types_.find(r.entry.type); t != types_.end() && --t->second == 0)
    types_.erase(t);
  entries_.erase(it);
}

bool memory_transport_store::remove(const transport_id& id, int64_t now_ns) {
  drop_expired(now_ns);
  auto it = entries_.find(id);
  if (it == entries_.end())
    return false;
  erase(it);
  return true;
}

transport_store::page memory_transport_store::list(size_t offset, size_t limit, int64_t now_ns) {
  drop_expired(now_ns);
  page p;
  p.total = entries_.size();
  if (offset >= entries_.size())
    return p;
  auto it = entries_.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(offset));
  for (; it != entries_.end() && p.entries.size() < limit; ++it)
    p.entries.push_back(it->second.entry);
  return p;
}

size_t memory_transport_store::sweep(int64_t now_ns) {
  drop_expired(now_ns);
  return std::exchange(dropped_, 0);
}

void memory_transport_store::drop_expired(int64_t now_ns) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_ns) {
    auto id = by_expiry_.begin()->second;
    auto it = entries_.find(id);
    if (it == entries_.end()) { // cannot happen: the indexes move together
      by_expiry_.erase(by_expiry_.begin());
      continue;
    }
    erase(it);
    ++dropped_;
  }
}

} // namespace skywire::services::transport_discovery
