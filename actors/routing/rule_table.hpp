// The visor's routing table (reference §4.3) as a plain, thread-safe class.
//
// Readers (the router core on the io shards, one lookup per packet) read an
// immutable snapshot (RCU): snapshot() is one atomic load of a
// std::shared_ptr<const rule_snapshot>; a lookup takes no lock and
// allocates nothing. Each installed rule's activity stamp is an atomic that
// lookups refresh in place, shared by every snapshot that holds the rule.
// Writers (installs, removals, the sweep: the router actor, the setup
// gateway, and a shard that forwards a Close) serialize on a mutex, copy
// the map, change the copy and publish it; writes are rare (route setups).
//
// Expiry: a rule is expired when now - last activity > keep-alive. An
// expired rule is invisible to lookups (rule_expired) at once, whoever
// looks; sweep() (every 5 s, the router actor) removes expired rules and
// returns them so that the owner can close what hangs on them.
//
// Refused installs: key route ID 0 (route 0 is the transport's own), a key
// already installed, an intermediary/forward rule whose next route ID is 0.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "messages/ids.hpp"
#include "messages/wire/routing/rule.hpp"

namespace skywire::routing {

using nanos = std::chrono::nanoseconds;

/// A rule in the table with its activity stamp.
struct installed_rule {
  installed_rule(wire::routing::rule r, nanos now) : rule(std::move(r)), last_activity(now.count()) {}

  const wire::routing::rule rule;
  /// Monotonic ns of the last activity (install, lookup, touch).
  mutable std::atomic<int64_t> last_activity;

  bool expired(nanos now) const noexcept {
    return now.count() - last_activity.load(std::memory_order_relaxed) > rule.keep_alive.count();
  }
  void touch(nanos now) const noexcept {
    last_activity.store(now.count(), std::memory_order_relaxed);
  }
};

using installed_rule_ptr = std::shared_ptr<const installed_rule>;

/// One published state of the table (immutable).
struct rule_snapshot {
  std::unordered_map<uint32_t, installed_rule_ptr> rules; ///< key route ID -> rule
  uint64_t version = 0;
};

using rule_snapshot_ptr = std::shared_ptr<const rule_snapshot>;

enum class lookup_miss : uint8_t { unknown, expired };

/// A lookup's answer: the rule (valid while the snapshot is held) or why not.
struct lookup_result {
  const installed_rule* hit = nullptr;
  lookup_miss miss = lookup_miss::unknown;
  explicit operator bool() const noexcept { return hit != nullptr; }
};

/// Looks `rid` up in `snap` at `now`; a hit's activity is refreshed.
lookup_result lookup(const rule_snapshot& snap, route_id rid, nanos now) noexcept;

class rule_table {
public:
  /// Monotonic time (steady_clock in a visor, a virtual clock in tests).
  using clock = std::function<nanos()>;

  explicit rule_table(clock now);

  /// The current snapshot. [any, lock-free]
  rule_snapshot_ptr snapshot() const { return snap_.load(std::memory_order_acquire); }

  /// Looks up in the current snapshot (see lookup()). The result's rule
  /// lives as long as the returned snapshot.
  std::pair<rule_snapshot_ptr, lookup_result> find(route_id rid) const;

  /// Installs one rule; refuses it as the top says. [any]
  caf::error install(const wire::routing::rule& r);

  /// Installs all of `rs` or none (duplicates within rs refused too). [any]
  caf::error install_all(const std::vector<wire::routing::rule>& rs);

  /// Removes the rule of `rid` (expired or not); the removed rule. [any]
  std::optional<wire::routing::rule> remove(route_id rid);

  /// Removes every expired rule; the removed rules. [any]
  std::vector<wire::routing::rule> sweep();

  /// Refreshes the rule's activity (an endpoint that writes with its forward
  /// rule). False when there is none or it expired. [any]
  bool touch(route_id rid) const;

  /// The rule of `rid` whatever its activity (unknown_rule otherwise). [any]
  expected<wire::routing::rule> get(route_id rid) const;

  /// Every rule, by key route ID. [any]
  std::vector<wire::routing::rule> rules() const;

  size_t size() const { return snapshot()->rules.size(); }
  nanos now() const { return now_(); }

  /// The sweep interval of the reference.
  static constexpr nanos sweep_interval = std::chrono::seconds{5};

private:
  caf::error check(const wire::routing::rule& r, const rule_snapshot& cur) const;
  void publish(std::shared_ptr<rule_snapshot> next);

  clock now_;
  std::mutex write_mtx_;
  std::atomic<rule_snapshot_ptr> snap_;
};

} // namespace skywire::routing
