#include "actors/dmsg/flow_control.hpp"

namespace skywire::dmsg {

void flow_control::delivered(uint64_t plain, uint64_t cipher) {
  if (plain == 0) {
    recv_.credit(cipher);
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
      recv_.credit(d.cipher);
      deliveries_.pop_front();
    } else {
      d.plain -= n;
      unconsumed_ -= n;
      n = 0;
    }
  }
}

std::optional<uint32_t> flow_control::take_update(clock::time_point now) noexcept {
  auto delta = recv_.take_update();
  if (!delta)
    return std::nullopt;
  if (recv_.bound() < cap_window_ && now != clock::time_point{}) {
    if (epoch_ == clock::time_point{}) {
      // The first update starts the clock: credit is measured from here.
      epoch_ = now;
      epoch_credit_ = 0;
    } else if (epoch_credit_ += *delta; epoch_credit_ >= recv_.bound()) {
      // A whole window came back: fast enough to be window-bound? Grow, and
      // hand the peer the extra in this update.
      if (now - epoch_ < grow_interval_) {
        auto bound = recv_.bound();
        uint32_t grown = bound > cap_window_ / 2 ? cap_window_ : bound * 2;
        *delta += recv_.grow(grown - bound);
      }
      epoch_ = now;
      epoch_credit_ = 0;
    }
  }
  return delta;
}

} // namespace skywire::dmsg
