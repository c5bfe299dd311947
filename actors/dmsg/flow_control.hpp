// Plain state of one dmsg stream's yamux flow control and byte accounting,
// kept out of the stream actor so tests drive it directly.
//
// Send side: the peer grants a window (256 KiB at open, more by window
// updates); data frames consume it.
// Receive side: every data byte received consumes our window; the window is
// re-opened only for bytes the owner has consumed (back-pressure). Owners count
// plaintext, yamux counts ciphertext: each delivery records both sizes and a
// delivery's ciphertext is credited once its plaintext is fully consumed.
// Updates are sent like hashicorp/yamux does: once the credit reaches half
// of the maximum window.
//
// Receive-window auto-tuning: a stream starts at yamux's 256 KiB (what the
// peer assumes) and doubles its window, up to max_window, each time a whole
// window's worth of credit comes back faster than grow_interval (the sender
// is held by the window, not by us: the consumer keeps up). A consumer that
// falls behind returns credit slowly, so its stream never grows; a stream
// that stops growing keeps what it had. The peer learns the larger window as
// a larger window-update delta (yamux senders add any delta they get).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

#include "messages/wire/yamux/frame.hpp"
#include "messages/wire/yamux/window.hpp"

namespace skywire::dmsg {

class flow_control {
public:
  using clock = std::chrono::steady_clock;

  explicit flow_control(uint32_t window = wire::yamux::initial_stream_window)
    : send_(window), recv_(window), cap_window_(window) {}
  /// Starts at `initial` (what the peer assumes) and may grow up to `cap`.
  flow_control(uint32_t initial, uint32_t cap, clock::duration grow_interval)
    : send_(initial), recv_(initial), cap_window_(cap > initial ? cap : initial),
      grow_interval_(grow_interval) {}

  // -- send side ------------------------------------------------------------------

  uint32_t send_window() const noexcept { return send_.available(); }
  /// A window update from the peer; false if it overflows (a protocol error).
  [[nodiscard]] bool grant(uint32_t delta) noexcept { return send_.grant(delta); }
  /// Bytes we may send now out of `want`; consumes them.
  uint32_t take(size_t want) noexcept { return send_.take(want); }

  // -- receive side ---------------------------------------------------------------

  uint32_t recv_window() const noexcept { return recv_.window(); }
  /// n bytes of data arrived; false if the peer exceeded our window (a
  /// protocol error: reset the stream).
  bool on_received(size_t n) noexcept { return recv_.receive(n); }
  /// Bytes that carried no data for the owner (handshake objects, empty
  /// frames, partial frame prefixes already accounted): credit at once.
  void credit_now(uint64_t cipher) noexcept { recv_.credit(cipher); }
  /// One delivery to the owner: `plain` bytes of data carried in `cipher`
  /// received bytes.
  void delivered(uint64_t plain, uint64_t cipher);
  /// The owner consumed n plaintext bytes.
  void consumed(uint64_t n);
  /// The window update to send now, if the credit reached half the window;
  /// `now` drives the auto-tuning (a window that cycles fast grows).
  std::optional<uint32_t> take_update(clock::time_point now = {}) noexcept;
  /// The receive window we currently allow (grows up to the cap).
  uint32_t max_window() const noexcept { return recv_.bound(); }
  /// Plaintext delivered and not yet consumed.
  uint64_t unconsumed() const noexcept { return unconsumed_; }

private:
  struct delivery {
    uint64_t plain;
    uint64_t cipher;
  };
  wire::yamux::send_window send_;
  wire::yamux::recv_window recv_;
  uint32_t cap_window_;
  uint64_t unconsumed_ = 0;
  std::deque<delivery> deliveries_;
  clock::duration grow_interval_{};
  clock::time_point epoch_{};    ///< when the current window's credit started
  uint64_t epoch_credit_ = 0;    ///< credit granted since epoch_
};

} // namespace skywire::dmsg
