// The timer wheel of one io shard (an Asio service of the shard's io_context:
// `boost::asio::use_service<shard_timers>(ctx)`): one steady_timer per shard,
// armed for the wheel's next non-empty tick (timer_wheel::next_wake), and
// armed earlier when a timer is scheduled before it. A shard with 10 000
// sessions' keepalives costs at most 100 wake-ups a second, not one CAF clock
// entry and one message per timer; an idle one whose keepalives are seconds
// away wakes when they are due, not every tick. Callbacks run on the shard's thread; schedule and
// cancel must be called there too.
#pragma once

#include <memory>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "runtime/io/timer_service.hpp"
#include "runtime/io/timer_wheel.hpp"

namespace skywire::io {

class shard_timers : public boost::asio::execution_context::service, public timer_service {
public:
  using key_type = shard_timers;
  static boost::asio::execution_context::id id;

  explicit shard_timers(boost::asio::execution_context& ctx);
  ~shard_timers() override;

  timer_id schedule(std::chrono::nanoseconds delay, std::function<void()> fn) override;
  bool cancel(timer_id id) override;
  size_t pending() const noexcept { return wheel_.size(); }
  /// How many times the driver's timer fired (its wake-ups).
  uint64_t wakeups() const noexcept { return wakeups_; }

  /// The shard timers of a context (created on first use).
  static shard_timers& of(boost::asio::io_context& ctx);

private:
  void shutdown() override;
  void arm();

  timer_wheel wheel_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool armed_ = false;
  bool stopped_ = false;
  timer_wheel::clock::time_point armed_at_{};
  uint64_t generation_ = 0; ///< a re-armed timer's earlier wait is stale
  uint64_t wakeups_ = 0;
};

} // namespace skywire::io
