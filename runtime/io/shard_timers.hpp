// The timer wheel of one io shard (an Asio service of the shard's io_context:
// `boost::asio::use_service<shard_timers>(ctx)`): one steady_timer per shard,
// armed one tick ahead while the wheel holds timers, so a shard with 10 000
// sessions' keepalives costs 100 wake-ups a second, not one CAF clock entry
// and one message per timer. Callbacks run on the shard's thread; schedule and
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

  /// The shard timers of a context (created on first use).
  static shard_timers& of(boost::asio::io_context& ctx);

private:
  void shutdown() override;
  void arm();

  timer_wheel wheel_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool armed_ = false;
  bool stopped_ = false;
};

} // namespace skywire::io
