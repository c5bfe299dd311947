// Data timers as the protocol engines on a shard see them: schedule a
// callback on the link's own thread after a delay, cancel it. Implemented by
// the shard's timer wheel (shard_timers, for sockets) and by the simulated
// network's virtual clock (tests/sim), so the same engine code keeps its
// keepalives and deadlines in both.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace skywire::io {

class timer_service {
public:
  using timer_id = uint64_t; ///< 0 is never a valid id

  virtual ~timer_service() = default;
  /// Runs fn on the owning thread once delay has passed. Call from that thread.
  virtual timer_id schedule(std::chrono::nanoseconds delay, std::function<void()> fn) = 0;
  /// Cancels a pending timer; false if it already ran or was cancelled.
  virtual bool cancel(timer_id id) = 0;
};

} // namespace skywire::io
