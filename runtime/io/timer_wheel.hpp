// A hashed timer wheel for data timers (keepalive pings, idle deadlines,
// later KCP retransmits): O(1) schedule and cancel, one pass over a slot per
// tick, no allocation per timer beyond its callback, no actor message and no
// CAF clock entry per timer. Plain and single-threaded: each io shard owns one
// (shard_timers) and drives it from one Asio timer armed for the next tick
// whose slot holds a timer (next_wake): an idle shard whose only timers are
// keepalives seconds away sleeps until then; callbacks run on the shard's
// thread.
//
// Resolution is one tick (default 10 ms): a timer fires at the first tick at or
// after its due time, never early. Timers beyond one turn of the wheel stay in
// their slot with the number of remaining turns.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

namespace skywire::io {

class timer_wheel {
public:
  using clock = std::chrono::steady_clock;
  using callback = std::function<void()>;
  using timer_id = uint64_t; ///< 0 is never a valid id

  explicit timer_wheel(clock::time_point start, std::chrono::milliseconds tick = std::chrono::milliseconds{10},
                       size_t slots = 512);

  /// Schedules fn at now + delay (rounded up to the next tick).
  timer_id schedule(clock::time_point now, std::chrono::nanoseconds delay, callback fn);
  /// Cancels a pending timer; false if it already ran or was cancelled.
  bool cancel(timer_id id);
  /// Runs every timer due at or before now, in due order within a tick;
  /// returns how many ran. Callbacks may schedule and cancel timers.
  size_t advance(clock::time_point now);

  size_t size() const noexcept { return index_.size(); }
  /// The time of the next tick that holds a timer, if any. O(timers): for
  /// tests and diagnostics.
  std::optional<clock::time_point> next_due() const;
  /// When the driver must run advance() next: the earliest due tick any slot
  /// may hold (each slot keeps a lower bound of its entries' due ticks, exact
  /// after each pass of the slot; a cancel may leave it low, and the driver
  /// then wakes for nothing once). Never later than next_due(). O(slots).
  std::optional<clock::time_point> next_wake() const;
  std::chrono::milliseconds tick() const noexcept { return tick_; }

private:
  struct entry {
    timer_id id;
    uint64_t due_tick;
    callback fn;
  };
  using slot = std::list<entry>;

  uint64_t tick_of(clock::time_point t) const;

  clock::time_point start_;
  std::chrono::milliseconds tick_;
  std::vector<slot> slots_;
  std::vector<uint64_t> slot_min_; ///< per slot: a lower bound of its due ticks (max: empty)
  uint64_t current_ = 0; ///< every tick before this one has run
  timer_id next_id_ = 1;
  std::unordered_map<timer_id, std::pair<size_t, slot::iterator>> index_;
};

} // namespace skywire::io
