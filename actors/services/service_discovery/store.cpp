#include "actors/services/service_discovery/store.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "actors/services/service_discovery/errors.hpp"

namespace skywire::services::service_discovery {

service_key key_of(const wire::service_entry& s) {
  return {s.type, s.pk, s.prt};
}

namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

bool live(const service_store::record& r, int64_t now_ns) {
  return r.expires_ns == 0 || now_ns < r.expires_ns;
}

} // namespace

std::optional<service_store::record> service_store::get(const service_key& key,
                                                        int64_t now_ns) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || !live(it->second, now_ns))
    return std::nullopt;
  return it->second;
}

caf::error service_store::put(const wire::service_entry& e, std::chrono::nanoseconds ttl,
                              int64_t now_ns) {
  drop_expired(now_ns);
  auto key = key_of(e);
  auto expires = ttl.count() > 0 ? now_ns + ttl.count() : int64_t{0};
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    auto& r = it->second;
    if (r.expires_ns != 0)
      by_expiry_.erase({r.expires_ns, key});
    r.entry = e;
    r.expires_ns = expires;
    if (expires != 0)
      by_expiry_.emplace(expires, key);
    return {};
  }
  if (auto err = put_check(e, now_ns))
    return err;
  entries_.emplace(key, record{e, now_ns, expires});
  ++per_key_[e.pk];
  if (expires != 0)
    by_expiry_.emplace(expires, key);
  return {};
}

caf::error service_store::put_check(const wire::service_entry& e, int64_t now_ns) {
  drop_expired(now_ns);
  if (entries_.count(key_of(e)) > 0)
    return {};
  if (entries_.size() >= limits_.max_entries)
    return make_error(sd_errc::full, "service discovery is full (" + std::to_string(limits_.max_entries)
                                       + " services): no new service can be registered until "
                                         "others expire or are deleted");
  if (count_of(e.pk) >= limits_.max_per_key)
    return make_error(sd_errc::key_full, "public key " + e.pk.hex() + " already has "
                                           + std::to_string(limits_.max_per_key)
                                           + " services, the most one key may have");
  return {};
}

void service_store::erase(entries_t::iterator it) {
  const auto& r = it->second;
  if (r.expires_ns != 0)
    by_expiry_.erase({r.expires_ns, it->first});
  if (auto k = per_key_.find(it->first.pk); k != per_key_.end() && --k->second == 0)
    per_key_.erase(k);
  entries_.erase(it);
}

bool service_store::remove(const service_key& key, int64_t now_ns) {
  drop_expired(now_ns);
  auto it = entries_.find(key);
  if (it == entries_.end())
    return false;
  erase(it);
  return true;
}

size_t service_store::remove_key(const std::string& type, const public_key& pk, int64_t now_ns) {
  drop_expired(now_ns);
  size_t n = 0;
  auto it = entries_.lower_bound(service_key{type, pk, skywire::port{0}});
  while (it != entries_.end() && it->first.type == type && it->first.pk == pk) {
    erase(it++);
    ++n;
  }
  return n;
}

std::vector<wire::service_entry> service_store::list(const service_filter& f, int64_t now_ns) {
  drop_expired(now_ns);
  std::vector<wire::service_entry> out;
  auto it = entries_.lower_bound(service_key{f.type, public_key{}, skywire::port{0}});
  for (; it != entries_.end() && it->first.type == f.type; ++it) {
    const auto& e = it->second.entry;
    if (!f.version.empty() && e.version != f.version)
      continue;
    if (!f.country.empty() && !(e.geo && iequal(e.geo->country, f.country)))
      continue;
    out.push_back(e);
  }
  return out;
}

size_t service_store::sweep(int64_t now_ns) {
  drop_expired(now_ns);
  return std::exchange(dropped_, 0);
}

size_t service_store::count_of(const public_key& pk) const {
  auto it = per_key_.find(pk);
  return it == per_key_.end() ? 0 : it->second;
}

std::map<std::string, size_t> service_store::count_by_type() const {
  std::map<std::string, size_t> out;
  for (const auto& [key, r] : entries_)
    ++out[key.type];
  return out;
}

void service_store::drop_expired(int64_t now_ns) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_ns) {
    auto key = by_expiry_.begin()->second;
    auto it = entries_.find(key);
    if (it == entries_.end()) { // cannot happen: the indexes move together
      by_expiry_.erase(by_expiry_.begin());
      continue;
    }
    erase(it);
    ++dropped_;
  }
}

} // namespace skywire::services::service_discovery
