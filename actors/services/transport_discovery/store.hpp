// Storage of transport entries behind an interface, so a shared store (a
// database, a replicated actor) can replace the in-memory one later. The
// store does no validation (rules.hpp decides what may be stored); it keeps
// entries, their expiry, and two bounds: transports in all and transports
// per edge. Time is passed in (unix ns), so tests drive expiry directly.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/transport/entry.hpp"

namespace skywire::services::transport_discovery {

class transport_store {
public:
  virtual ~transport_store() = default;

  struct record {
    wire::transport::entry entry;
    int64_t created_ns = 0; ///< first registration (kept across refreshes)
    int64_t expires_ns = 0; ///< 0 = never
    bool live(int64_t now_ns) const noexcept { return expires_ns == 0 || now_ns < expires_ns; }
  };

  /// The live record of `id`, or nullopt when absent or expired at `now_ns`.
  virtual std::optional<record> get(const transport_id& id, int64_t now_ns) const = 0;

  /// Live entries that have `pk` as an edge, ordered by transport ID.
  virtual std::vector<wire::transport::entry> by_edge(const public_key& pk,
                                                      int64_t now_ns) const = 0;

  /// Stores a new entry or refreshes a stored one (label replaced, expiry
  /// moved to now + ttl; `ttl` zero means no expiry). Errors, storing
  /// nothing: tpd_errc::full when the store is full and the ID is new,
  /// tpd_errc::edge_full when an edge of a new ID is at its bound.
  virtual caf::error put(const wire::transport::entry& e, std::chrono::nanoseconds ttl,
                         int64_t now_ns) = 0;

  /// Removes the entry; false if there was none (expired ones count as none).
  virtual bool remove(const transport_id& id, int64_t now_ns) = 0;

  struct page {
    std::vector<wire::transport::entry> entries; ///< ordered by transport ID
    size_t total = 0;                            ///< live entries in all
  };
  /// Live entries [offset, offset + limit) in transport ID order.
  virtual page list(size_t offset, size_t limit, int64_t now_ns) = 0;

  /// Drops expired entries; returns how many were dropped since the last
  /// call (here, or on the way by a write or a listing).
  virtual size_t sweep(int64_t now_ns) = 0;

  /// Entries held (expired ones not yet swept included).
  virtual size_t size() const = 0;

  /// Entries held per transport type.
  virtual std::map<std::string, size_t> count_by_type() const = 0;
};

struct memory_store_limits {
  size_t max_entries = 1'000'000;
  size_t max_per_edge = 1024;
};

/// The in-memory store: entries ordered by ID, an index by edge and one by
/// expiry (so sweeping costs O(expired · log n), and every write sweeps
/// first: what has expired never counts against a bound).
class memory_transport_store final : public transport_store {
public:
  explicit memory_transport_store(memory_store_limits limits = {}) : limits_(limits) {}

  std::optional<record> get(const transport_id& id, int64_t now_ns) const override;
  std::vector<wire::transport::entry> by_edge(const public_key& pk, int64_t now_ns) const override;
  caf::error put(const wire::transport::entry& e, std::chrono::nanoseconds ttl,
                 int64_t now_ns) override;
  bool remove(const transport_id& id, int64_t now_ns) override;
  page list(size_t offset, size_t limit, int64_t now_ns) override;
  size_t sweep(int64_t now_ns) override;
  size_t size() const override { return entries_.size(); }
  std::map<std::string, size_t> count_by_type() const override { return types_; }

  const memory_store_limits& limits() const noexcept { return limits_; }

private:
  void erase(std::map<transport_id, record>::iterator it);
  void drop_expired(int64_t now_ns);

  memory_store_limits limits_;
  std::map<transport_id, record> entries_;
  std::unordered_map<public_key, std::set<transport_id>> by_edge_;
  std::set<std::pair<int64_t, transport_id>> by_expiry_; ///< entries with an expiry only
  std::map<std::string, size_t> types_;
  size_t dropped_ = 0; ///< expired entries dropped since the last sweep()
};

} // namespace skywire::services::transport_discovery
