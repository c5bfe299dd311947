#include "runtime/io/shard_timers.hpp"

namespace skywire::io {

namespace asio = boost::asio;

asio::execution_context::id shard_timers::id;

shard_timers::shard_timers(asio::execution_context& ctx)
  : asio::execution_context::service(ctx), wheel_(timer_wheel::clock::now()),
    timer_(std::make_unique<asio::steady_timer>(static_cast<asio::io_context&>(ctx))) {
}

shard_timers::~shard_timers() = default;

shard_timers& shard_timers::of(asio::io_context& ctx) {
  return asio::use_service<shard_timers>(ctx);
}

void shard_timers::shutdown() {
  stopped_ = true;
  timer_.reset();
}

timer_service::timer_id shard_timers::schedule(std::chrono::nanoseconds delay,
                                               std::function<void()> fn) {
  auto now = timer_wheel::clock::now();
  auto id = wheel_.schedule(now, delay, std::move(fn));
  // Armed for a time no later than this timer's: nothing to change, and no
  // pass over the wheel's slots (a route's delayed ACK is scheduled this way
  // every few packets). While armed, armed_at_ is at most every pending
  // timer's due time: only the armed handler advances the wheel.
  if (!armed_ || now + delay < armed_at_)
    arm();
  return id;
}

bool shard_timers::cancel(timer_id id) {
  return wheel_.cancel(id);
}

void shard_timers::arm() {
  if (stopped_ || !timer_)
    return;
  auto wake = wheel_.next_wake();
  if (!wake || (armed_ && *wake >= armed_at_))
    return;
  // expires_at cancels a pending wait: its handler sees another generation
  armed_ = true;
  armed_at_ = *wake;
  auto gen = ++generation_;
  timer_->expires_at(*wake);
  timer_->async_wait([this, gen](const boost::system::error_code& ec) {
    if (gen != generation_)
      return;
    armed_ = false;
    if (ec || stopped_)
      return;
    ++wakeups_;
    wheel_.advance(timer_wheel::clock::now());
    arm();
  });
}

} // namespace skywire::io
