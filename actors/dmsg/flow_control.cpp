#include "actors/dmsg/flow_control.hpp"

namespace skywire::dmsg {

void flow_control::delivered(uint64_t plain, uint64_t cipher) {
  if (plain == 0) {
    pending_credit_ += cipher;
    return;
  }
  unconsumed_ += plain;
  deliveries_.push_back({plain, cipher});
}

void flow_control::consumed(uint64_t n) {
  while (n > 0 && !deliveries_.empty()) {
    auto& d = deliveries_.front();
    if (n >= d.plain) {
      n -= d.plain;
      unconsumed_ -= d.plain;
      pending_credit_ += d.cipher;
      deliveries_.pop_front();
    } else {
      d.plain -= n;
      unconsumed_ -= n;
      n = 0;
    }
  }
}

std::optional<uint32_t> flow_control::take_update(clock::time_point now) noexcept {
  // Never grant beyond the maximum window.
  uint64_t room = uint64_t{max_window_} - recv_window_;
  uint64_t delta = pending_credit_ < room ? pending_credit_ : room;
  if (delta == 0 || delta < max_window_ / 2)
    return std::nullopt;
  pending_credit_ -= delta;
  recv_window_ += static_cast<uint32_t>(delta);
  if (max_window_ < cap_window_ && now != clock::time_point{}) {
    if (epoch_ == clock::time_point{}) {
      // The first update starts the clock: credit is measured from here.
      epoch_ = now;
      epoch_credit_ = 0;
    } else if (epoch_credit_ += delta; epoch_credit_ >= max_window_) {
      // A whole window came back: fast enough to be window-bound? Grow, and
      // hand the peer the extra at once.
      if (now - epoch_ < grow_interval_) {
        uint32_t grown = max_window_ > cap_window_ / 2 ? cap_window_ : max_window_ * 2;
        uint32_t extra = grown - max_window_;
        max_window_ = grown;
        recv_window_ += extra;
        delta += extra;
      }
      epoch_ = now;
      epoch_credit_ = 0;
    }
  }
  return static_cast<uint32_t>(delta);
}

} // namespace skywire::dmsg
