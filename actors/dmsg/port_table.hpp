// The local dmsg ports of one client: listeners (port -> owner actor) and
// ephemeral ports of dialed streams (from 49152 upwards, wrapping, skipping
// ports in use). Thread-safe: the client actor and the stream actors of its
// sessions share one table.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>

#include "messages/error.hpp"

namespace skywire::dmsg {

inline constexpr uint16_t first_ephemeral_port = 49152;

class port_table {
public:
  /// Binds a listener; error 400 if the port is taken (by a listener or a
  /// dialed stream) or is 0.
  caf::error listen(uint16_t port, caf::actor owner);
  /// Removes a listener (no-op if absent).
  void unlisten(uint16_t port);
  /// Removes every listener of owner (when it terminates).
  void unlisten_all(const caf::actor_addr& owner);
  /// The listener on port, if any.
  caf::actor listener(uint16_t port) const;
  std::vector<uint16_t> listening_ports() const;

  /// Reserves a free ephemeral port; nullopt if all 16384 are taken.
  std::optional<uint16_t> reserve_ephemeral();
  /// Releases an ephemeral port.
  void release(uint16_t port);
  size_t ephemeral_in_use() const;

private:
  mutable std::mutex mtx_;
  std::unordered_map<uint16_t, caf::actor> listeners_;
  std::set<uint16_t> ephemeral_;
  uint16_t next_ = first_ephemeral_port;
};

/// Exponential back-off: initial, x factor per failure, capped.
class backoff {
public:
  backoff(double initial_ms = 1000, double factor = 1.5, double max_ms = 20'000)
    : initial_(initial_ms), factor_(factor), max_(max_ms), next_(initial_ms) {}
  /// The delay to wait now (then grows).
  uint64_t next_ms() noexcept {
    auto d = next_;
    next_ = next_ * factor_ > max_ ? max_ : next_ * factor_;
    return static_cast<uint64_t>(d);
  }
  void reset() noexcept { next_ = initial_; }

private:
  double initial_;
  double factor_;
  double max_;
  double next_;
};

} // namespace skywire::dmsg
