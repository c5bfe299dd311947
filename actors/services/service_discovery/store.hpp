// The service discovery's entries (reference §1.10), in memory. Keyed by
// type and address (<pk>:<port>), as the reference's table. What we add:
// every entry expires unless its owner registers it again within the TTL
// (the reference keeps them until a network monitor deletes them), the store
// holds at most max_entries, one key at most max_per_key of them. The store
// does no validation (api.cpp decides what may be stored). Time is passed in
// (unix ns), so tests drive expiry directly.
//
// Plain class, not thread-safe (the service actor owns it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/service_discovery.hpp"

namespace skywire::services::service_discovery {

/// The store's key: type, then the address.
struct service_key {
  std::string type;
  public_key pk;
  skywire::port prt;
  friend auto operator<=>(const service_key&, const service_key&) = default;
};

service_key key_of(const wire::service_entry& s);

struct store_limits {
  size_t max_entries = 100'000;
  size_t max_per_key = 16; ///< entries one public key may hold (all types)
};

/// What a listing selects: the type, and optionally an exact version and a
/// country (geo.country, compared case-insensitively).
struct service_filter {
  std::string type;
  std::string version;
  std::string country;
};

class service_store {
public:
  explicit service_store(store_limits limits = {}) : limits_(limits) {}

  struct record {
    wire::service_entry entry;
    int64_t created_ns = 0; ///< first registration (kept across refreshes)
    int64_t expires_ns = 0; ///< 0 = never
  };

  /// The live entry of `key`, or nullopt when absent or expired.
  std::optional<record> get(const service_key& key, int64_t now_ns) const;

  /// Stores a new entry or replaces a stored one (its expiry moved to
  /// now + ttl; ttl zero = never). Errors, storing nothing: sd_errc::full
  /// when the store is full and the entry new, sd_errc::key_full when its
  /// key holds max_per_key entries already.
  caf::error put(const wire::service_entry& e, std::chrono::nanoseconds ttl, int64_t now_ns);

  /// The error put() would answer for `e` at now_ns, or none.
  caf::error put_check(const wire::service_entry& e, int64_t now_ns);

  /// Removes one entry; false if there was none.
  bool remove(const service_key& key, int64_t now_ns);

  /// Removes every entry of `type` whose address has `pk`; how many.
  size_t remove_key(const std::string& type, const public_key& pk, int64_t now_ns);

  /// The live entries that match, ordered by key.
  std::vector<wire::service_entry> list(const service_filter& f, int64_t now_ns);

  /// Drops expired entries; returns how many were dropped since the last call.
  size_t sweep(int64_t now_ns);

  /// Whether `key` is new (nothing stored under it, live or not).
  bool contains(const service_key& key) const { return entries_.count(key) > 0; }

  size_t size() const noexcept { return entries_.size(); }
  size_t count_of(const public_key& pk) const;
  std::map<std::string, size_t> count_by_type() const;
  const store_limits& limits() const noexcept { return limits_; }

private:
  using entries_t = std::map<service_key, record>;
  void erase(entries_t::iterator it);
  void drop_expired(int64_t now_ns);

  store_limits limits_;
  entries_t entries_;
  std::unordered_map<public_key, size_t> per_key_;
  std::set<std::pair<int64_t, service_key>> by_expiry_; ///< entries with an expiry only
  size_t dropped_ = 0;
};

} // namespace skywire::services::service_discovery
