// Per-stream yamux flow control, the one implementation every yamux endpoint
// of the tree uses: the dmsg client's streams (actors/dmsg/flow_control) and
// the dmsg server's relays (actors/services/dmsg_server_relay). Plain values,
// not thread-safe: the owner holds its lock.
//
// Send side: the peer grants bytes (256 KiB at open, more with window
// updates); data frames use them up. A grant that would overflow 32 bits is
// a protocol error (hashicorp/yamux would wrap).
// Receive side: every data byte received uses up the window; bytes come back
// as credit (the owner decides when: consumed by the application, written to
// the other side of a relay) and are granted back in one update once the
// credit reaches half of the bound (hashicorp/yamux's rule: one update per
// half window, not one per frame) or, for a relay, once the peer's window
// fell below half of the bound (see recv_window::policy). The bound starts at what the peer assumes
// and may grow (auto-tuning, a relay's extra buffer).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "messages/wire/yamux/frame.hpp"

namespace skywire::wire::yamux {

class send_window {
public:
  explicit send_window(uint32_t initial = initial_stream_window) noexcept : avail_(initial) {}

  uint32_t available() const noexcept { return avail_; }

  /// A window update's delta; false if it would overflow (a protocol error:
  /// the window is left as it was).
  [[nodiscard]] bool grant(uint32_t delta) noexcept {
    if (uint64_t{avail_} + delta > UINT32_MAX)
      return false;
    avail_ += delta;
    return true;
  }

  /// Takes up to `want` bytes of the window; returns how many.
  uint32_t take(size_t want) noexcept {
    auto n = static_cast<uint32_t>(std::min<size_t>(want, avail_));
    avail_ -= n;
    return n;
  }

  /// Takes exactly n bytes, or nothing (false) if the window is smaller.
  [[nodiscard]] bool take_exact(size_t n) noexcept {
    if (n > avail_)
      return false;
    avail_ -= static_cast<uint32_t>(n);
    return true;
  }

private:
  uint32_t avail_;
};

class recv_window {
public:
  explicit recv_window(uint32_t bound = initial_stream_window) noexcept
    : window_(bound), bound_(bound) {}

  /// What the peer may still send.
  uint32_t window() const noexcept { return window_; }
  /// The most the peer may have outstanding.
  uint32_t bound() const noexcept { return bound_; }
  /// Credit not granted back yet.
  uint32_t pending() const noexcept { return pending_; }

  /// n data bytes arrived; false if beyond the window (a protocol error:
  /// reset the stream or drop the session).
  [[nodiscard]] bool receive(size_t n) noexcept {
    if (n > window_)
      return false;
    window_ -= static_cast<uint32_t>(n);
    return true;
  }

  /// n received bytes may be sent again (never more than is outstanding).
  void credit(uint64_t n) noexcept {
    uint32_t room = bound_ - window_ - pending_;
    pending_ += static_cast<uint32_t>(std::min<uint64_t>(n, room));
  }

  /// Raises the bound by `extra` and credits it: the peer learns of it with
  /// the next update.
  void widen(uint32_t extra) noexcept {
    extra = static_cast<uint32_t>(std::min<uint64_t>(extra, UINT32_MAX - bound_));
    bound_ += extra;
    pending_ += extra;
  }

  /// Raises the bound and the window by `extra` at once, for a caller that
  /// adds it to the update it is writing now. Returns what was added.
  uint32_t grow(uint32_t extra) noexcept {
    extra = static_cast<uint32_t>(std::min<uint64_t>(extra, UINT32_MAX - bound_));
    bound_ += extra;
    window_ += extra;
    return extra;
  }

  /// When an update is due.
  enum class policy : uint8_t {
    /// The credit reached half of the bound (hashicorp/yamux's receiver:
    /// an endpoint that consumes what it receives).
    half_credit,
    /// The peer's window fell below half of the bound: all the credit goes
    /// out (a relay, whose credit trickles in as the other side drains:
    /// keeps the sender's window from running dry between updates).
    low_window,
  };

  /// The update to write now, if one is due under `p`.
  std::optional<uint32_t> take_update(policy p = policy::half_credit) noexcept {
    if (pending_ == 0)
      return std::nullopt;
    if (p == policy::half_credit ? pending_ < bound_ / 2 : window_ >= bound_ / 2)
      return std::nullopt;
    auto delta = pending_;
    window_ += delta;
    pending_ = 0;
    return delta;
  }

private:
  uint32_t window_;
  uint32_t bound_;
  uint32_t pending_ = 0;
};

} // namespace skywire::wire::yamux
