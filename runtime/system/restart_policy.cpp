#include "runtime/system/restart_policy.hpp"

#include <algorithm>

namespace skywire::system {

const char* to_string(restart_tracker::action x) noexcept {
  switch (x) {
    case restart_tracker::action::restart: return "restart";
    case restart_tracker::action::stop: return "stop";
    case restart_tracker::action::give_up: return "give_up";
  }
  return "?";
}

restart_tracker::decision restart_tracker::exited(bool abnormal, clock::time_point now) {
  decision d;
  bool wants_restart = policy_.kind == restart_kind::permanent
                       || (policy_.kind == restart_kind::transient && abnormal);
  if (!wants_restart) {
    d.what = action::stop;
    return d;
  }
  // A child that ran long enough is healthy again: reset the back-off.
  if (last_start_ != clock::time_point{} && now - last_start_ >= policy_.stable_after)
    next_backoff_ = policy_.initial_backoff;
  while (!recent_.empty() && now - recent_.front() > policy_.window)
    recent_.pop_front();
  if (recent_.size() >= policy_.max_restarts) {
    d.what = action::give_up;
    return d;
  }
  recent_.push_back(now);
  ++total_restarts_;
  d.what = action::restart;
  d.delay = next_backoff_;
  auto grown = std::chrono::duration_cast<milliseconds>(
    std::chrono::duration<double, std::milli>(static_cast<double>(next_backoff_.count())
                                              * policy_.factor));
  next_backoff_ = std::min(std::max(grown, next_backoff_), policy_.max_backoff);
  return d;
}

} // namespace skywire::system
