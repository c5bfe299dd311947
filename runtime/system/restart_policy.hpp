// Restart decisions for supervised actors, as a plain class (no actors, no
// clocks of its own) so tests can drive it with explicit time points.
//
// Back-off: the first restart waits `initial_backoff`, each further one
// `factor` times longer, capped at `max_backoff`. A child that stayed up for
// `stable_after` starts again from initial_backoff. More than `max_restarts`
// restarts inside `window` means the child is hopeless: give up (the
// supervisor then escalates).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace skywire::system {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

enum class restart_kind : uint8_t {
  permanent, ///< restart after any exit (also a normal one)
  transient, ///< restart only after an abnormal exit (the default)
  temporary, ///< never restart
};

struct restart_policy {
  restart_kind kind = restart_kind::transient;
  milliseconds initial_backoff{100};
  double factor = 2.0;
  milliseconds max_backoff{5000};
  size_t max_restarts = 5;      ///< restarts allowed inside `window`
  milliseconds window{30000};
  milliseconds stable_after{10000};
};

class restart_tracker {
public:
  enum class action : uint8_t { restart, stop, give_up };
  struct decision {
    action what = action::stop;
    milliseconds delay{0}; ///< for restart
  };

  explicit restart_tracker(restart_policy p = {}) : policy_(p) {}

  /// The child was (re)started at `now`.
  void started(clock::time_point now) noexcept { last_start_ = now; }

  /// The child exited at `now`; `abnormal` is false for a normal exit.
  decision exited(bool abnormal, clock::time_point now);

  /// Restarts performed so far (lifetime of the tracker).
  size_t restarts() const noexcept { return total_restarts_; }

  /// Back-off that the next restart would use.
  milliseconds next_backoff() const noexcept { return next_backoff_; }

  const restart_policy& policy() const noexcept { return policy_; }

private:
  restart_policy policy_;
  std::deque<clock::time_point> recent_; ///< restart times inside the window
  milliseconds next_backoff_{policy_.initial_backoff};
  clock::time_point last_start_{};
  size_t total_restarts_ = 0;
};

const char* to_string(restart_tracker::action x) noexcept;

} // namespace skywire::system
