// Storage of dmsg discovery entries behind an interface, so a shared store
// (e.g. Redis, or a replicated actor) can replace the in-memory one later.
// The store does no validation: dmsg_discovery_rules decides what may be
// stored; the store keeps entries, expiry and the bound on their number.
// Time is passed in (unix nanoseconds), so tests drive expiry directly.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/dmsg/discovery_entry.hpp"

namespace skywire::services {

class discovery_store {
public:
  virtual ~discovery_store() = default;

  /// The live entry of `pk`, or nullopt when absent or expired at `now_ns`.
  virtual std::optional<wire::dmsg::entry> get(const public_key& pk, int64_t now_ns) const = 0;

  /// Stores or replaces the entry of e.static_pk. `ttl` zero means no expiry.
  /// Errors when the store is full and the key is new.
  virtual caf::error put(const wire::dmsg::entry& e, std::chrono::nanoseconds ttl,
                         int64_t now_ns) = 0;

  /// Removes the entry; false if there was none.
  virtual bool remove(const public_key& pk) = 0;

  /// Keys of every live client entry (entries with a "client" part).
  virtual std::vector<public_key> client_keys(int64_t now_ns) const = 0;

  /// Live server entries with availableSessions > 0, most free sessions first
  /// (ties by key), at most `limit`.
  virtual std::vector<wire::dmsg::entry> available_servers(size_t limit, int64_t now_ns) const = 0;

  /// Every live server entry, ordered by key.
  virtual std::vector<wire::dmsg::entry> all_servers(int64_t now_ns) const = 0;

  /// Drops expired entries; returns how many.
  virtual size_t sweep(int64_t now_ns) = 0;

  struct counts {
    size_t clients = 0;
    size_t servers = 0;
  };
  virtual counts count() const = 0;
};

class memory_discovery_store final : public discovery_store {
public:
  explicit memory_discovery_store(size_t max_entries = 1'000'000) : max_entries_(max_entries) {}

  std::optional<wire::dmsg::entry> get(const public_key& pk, int64_t now_ns) const override;
  caf::error put(const wire::dmsg::entry& e, std::chrono::nanoseconds ttl,
                 int64_t now_ns) override;
  bool remove(const public_key& pk) override;
  std::vector<public_key> client_keys(int64_t now_ns) const override;
  std::vector<wire::dmsg::entry> available_servers(size_t limit, int64_t now_ns) const override;
  std::vector<wire::dmsg::entry> all_servers(int64_t now_ns) const override;
  size_t sweep(int64_t now_ns) override;
  counts count() const override;

private:
  struct record {
    wire::dmsg::entry e;
    int64_t expires_at = 0; ///< unix ns; 0 = never
    bool live(int64_t now) const noexcept { return expires_at == 0 || now < expires_at; }
  };
  size_t max_entries_;
  std::unordered_map<public_key, record> entries_;
};

} // namespace skywire::services
