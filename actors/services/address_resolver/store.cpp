#include "actors/services/address_resolver/store.hpp"

#include <iterator>

#include "actors/services/address_resolver/errors.hpp"

namespace skywire::services::address_resolver {

const char* to_string(network n) noexcept {
  return n == network::stcpr ? "stcpr" : "sudph";
}

std::optional<network> network_of(std::string_view text) noexcept {
  if (text == "stcpr")
    return network::stcpr;
  if (text == "sudph")
    return network::sudph;
  return std::nullopt;
}

std::optional<binding> memory_binding_store::resolve(network n, const public_key& pk,
                                                     int64_t now_ns) const {
  const auto& t = table(n);
  auto it = t.entries.find(pk);
  if (it == t.entries.end() || !it->second.live(now_ns))
    return std::nullopt;
  return it->second;
}

caf::error memory_binding_store::bind(network n, const public_key& pk, binding b,
                                      std::chrono::nanoseconds ttl, int64_t now_ns) {
  drop_expired(now_ns);
  auto& t = table(n);
  b.expires_ns = ttl.count() > 0 ? now_ns + ttl.count() : int64_t{0};
  b.bound_ns = now_ns;
  auto it = t.entries.find(pk);
  bool same_source = it != t.entries.end() && it->second.source == b.source;
  if (it == t.entries.end() && t.entries.size() >= limits_.max_bindings)
    return make_error(ar_errc::full, std::string{"address resolver is full ("}
                                       + std::to_string(limits_.max_bindings) + " " + to_string(n)
                                       + " bindings): try again later");
  if (!same_source) {
    auto s = t.sources.find(b.source);
    if (s != t.sources.end() && s->second >= limits_.max_per_source)
      return make_error(ar_errc::source_full,
                        b.source + " already holds " + std::to_string(limits_.max_per_source) + " "
                          + to_string(n) + " bindings, the most one source address may hold");
  }
  if (it != t.entries.end()) {
    b.bound_ns = it->second.bound_ns;
    erase(t, it);
  }
  ++t.sources[b.source];
  if (b.expires_ns != 0)
    t.by_expiry.emplace(b.expires_ns, pk);
  t.entries.emplace(pk, std::move(b));
  return {};
}

void memory_binding_store::erase(per_type& t, std::map<public_key, binding>::iterator it) {
  const auto& b = it->second;
  if (b.expires_ns != 0)
    t.by_expiry.erase({b.expires_ns, it->first});
  if (auto s = t.sources.find(b.source); s != t.sources.end() && --s->second == 0)
    t.sources.erase(s);
  t.entries.erase(it);
}

bool memory_binding_store::unbind(network n, const public_key& pk, int64_t now_ns,
                                  std::optional<uint64_t> channel) {
  drop_expired(now_ns);
  auto& t = table(n);
  auto it = t.entries.find(pk);
  if (it == t.entries.end() || (channel && it->second.channel != *channel))
    return false;
  erase(t, it);
  return true;
}

binding_store::page memory_binding_store::list(network n, size_t offset, size_t limit,
                                               int64_t now_ns) {
  drop_expired(now_ns);
  const auto& t = table(n);
  page p;
  p.total = t.entries.size();
  if (offset >= t.entries.size())
    return p;
  auto it = t.entries.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(offset));
  for (; it != t.entries.end() && p.keys.size() < limit; ++it)
    p.keys.push_back(it->first);
  return p;
}

size_t memory_binding_store::sweep(int64_t now_ns) {
  drop_expired(now_ns);
  return std::exchange(dropped_, 0);
}

size_t memory_binding_store::count_of_source(network n, const std::string& source) const {
  const auto& s = table(n).sources;
  auto it = s.find(source);
  return it == s.end() ? 0 : it->second;
}

void memory_binding_store::drop_expired(int64_t now_ns) {
  for (auto& t : tables_) {
    while (!t.by_expiry.empty() && t.by_expiry.begin()->first <= now_ns) {
      auto pk = t.by_expiry.begin()->second;
      auto it = t.entries.find(pk);
      if (it == t.entries.end()) { // cannot happen: the indexes move together
        t.by_expiry.erase(t.by_expiry.begin());
        continue;
      }
      erase(t, it);
      ++dropped_;
    }
  }
}

} // namespace skywire::services::address_resolver
