// The dmsg server's table of live sessions (client PK -> session actor and
// its stream open protocol, dmsg_server_opens.hpp) and
// its connection budget (max_sessions). Shared by the listener (slots), the
// session actors (register, lookup) and the health/discovery side (counts).
// Thread-safe: a mutex around a hash map; lookups happen once per stream
// open, not per frame.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_addr.hpp>

#include <caf/actor.hpp>

#include "actors/services/dmsg_server_relay.hpp"
#include "messages/ids.hpp"

namespace skywire::services {

namespace session_detail {
class session_opens;
}

class dmsg_server_registry {
public:
  explicit dmsg_server_registry(size_t max_sessions) : max_(max_sessions) {}

  /// Reserves a session slot (taken when the handshake succeeds, held until
  /// the session ends; connections still in their handshake hold a slot of
  /// the listener's admission control instead, see runtime/io/admission.hpp).
  /// False when max_sessions sessions exist.
  bool try_acquire_slot() noexcept;
  void release_slot() noexcept;

  /// Records `session` (and its opens, which other sessions call from
  /// their io threads) as the session of `pk`; returns the session it
  /// replaces (a client with a new session replaces its old one), or an
  /// invalid handle.
  caf::actor add(const public_key& pk, caf::actor session,
                 std::shared_ptr<session_detail::session_opens> opens = {});

  /// Removes pk's entry only if it is still `session` (a replaced session
  /// must not remove its successor).
  void remove(const public_key& pk, const caf::actor& session);

  /// The session of pk, or an invalid handle.
  caf::actor find(const public_key& pk) const;
  /// The stream open protocol of pk's session, or null.
  std::shared_ptr<session_detail::session_opens> find_opens(const public_key& pk) const;

  /// Established sessions (handshake done).
  size_t sessions() const;
  /// Open connections (session actors alive, handshakes included).
  size_t connections() const noexcept { return live_.load(std::memory_order_relaxed); }
  /// Session slots in use (handshake done, not yet closed).
  size_t slots() const noexcept { return slots_.load(std::memory_order_relaxed); }
  size_t max_sessions() const noexcept { return max_; }
  /// max_sessions - slots, never negative (discovery's availableSessions).
  size_t available() const noexcept;

  /// Every live session actor, registered or still in its handshake (so that
  /// stop() can close them all).
  void track(const caf::actor& session);
  void untrack(const caf::actor_addr& session);
  std::vector<caf::actor> tracked() const;

  /// Counters for health and tests.
  /// A connection refused because every session slot is taken.
  void count_refused() noexcept { refused_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t refused() const noexcept { return refused_.load(std::memory_order_relaxed); }
  uint64_t accepted() const noexcept { return accepted_.load(std::memory_order_relaxed); }
  /// Relay figures of every session (bytes queued toward clients, peaks).
  const std::shared_ptr<dmsg_relay::relay_stats>& relay() const noexcept { return relay_; }

private:
  const size_t max_;
  std::atomic<size_t> slots_{0};
  std::atomic<size_t> live_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> accepted_{0};
  const std::shared_ptr<dmsg_relay::relay_stats> relay_ =
    std::make_shared<dmsg_relay::relay_stats>();
  mutable std::mutex mtx_;
  struct entry {
    caf::actor actor;
    std::shared_ptr<session_detail::session_opens> opens;
  };
  std::unordered_map<public_key, entry> map_;
  std::unordered_set<caf::actor_addr> all_;
};

} // namespace skywire::services
