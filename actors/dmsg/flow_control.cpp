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

std::optional<uint32_t> flow_control::take_update() noexcept {
  // Never grant beyond the maximum window.
  uint64_t room = uint64_t{max_window_} - recv_window_;
  uint64_t delta = pending_credit_ < room ? pending_credit_ : room;
  if (delta == 0 || delta < max_window_ / 2)
    return std::nullopt;
  pending_credit_ -= delta;
  recv_window_ += static_cast<uint32_t>(delta);
  return static_cast<uint32_t>(delta);
}

} // namespace skywire::dmsg
