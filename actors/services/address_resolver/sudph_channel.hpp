// One sudph control channel of the address resolver (reference §3.6): the
// KCP conversation a visor opens to the resolver's UDP port, on which it
// runs the transport handshake as initiator (no Noise), sends its bind
// message, then `heartbeat` every 10 s and `delBind` when it stops; the
// resolver pushes {"PK":..,"Addr":..} on it when somebody resolves the visor.
//
//   V -> AR  "get_nonce"                         (one KCP message)
//   AR -> V  {"Nonce":[16 random bytes]}\n       Frame1
//   V -> AR  Frame2\n  SrcAddr {pk, 0}, DstAddr {null, 0}, signed by pk
//   AR -> V  {"OK":true,"ErrMsg":""}\n           Frame3 (OK false + why on refusal)
//   V -> AR  {"port":"<udp port>","addresses":[..]}   the bind
//   V -> AR  heartbeat | delBind | a new bind    (any order, any number)
//
// A plain class: no socket, no clock, no thread. Its owner (the channel
// table on an io shard) feeds it the conversation's datagrams with the time,
// calls update() when next_update() says, drops it after deadline(); KCP
// datagrams leave through the output callback. Every message is one KCP
// message (kcp-go's UDPSession reads one segment per Read; the Go visor
// writes each frame and message with one Write). Network input never throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "messages/wire/transport/handshake.hpp"
#include "runtime/io/kcp/control_block.hpp"

namespace skywire::services::address_resolver {

struct channel_settings {
  /// KCP of a control channel: kcp-go's defaults (what the visor runs)
  /// except smaller windows and queue (the channel carries a few short
  /// messages; every buffer a channel may hold is bounded by them) and ACKs
  /// sent at once (so an idle channel needs no timer).
  io::kcp::settings kcp = [] {
    io::kcp::settings s;
    s.snd_wnd = 4;
    s.rcv_wnd = 8;
    s.send_queue = 16;
    s.ack_nodelay = true;
    return s;
  }();
  /// Frame0 to Frame2 (the reference's newer AR: 5 s).
  std::chrono::milliseconds handshake_timeout{5000};
  /// Frame3 to the bind message (the reference's newer AR: 30 s).
  std::chrono::milliseconds bind_timeout{30'000};
  /// Silence on a bound channel before it is dropped (the reference's newer
  /// AR: 3 min; visors send a heartbeat every 10 s).
  std::chrono::milliseconds idle_timeout{180'000};
  /// Longest message accepted (a bind message; kcp-go segments carry at
  /// most 1476 bytes).
  size_t max_message = 2048;
};

enum class channel_state : uint8_t {
  await_frame0, ///< new conversation: "get_nonce" expected
  await_frame2, ///< Frame1 sent
  await_bind,   ///< Frame3 OK sent: the bind message expected
  bound,        ///< serving: heartbeats, re-binds, pushes
  closed,       ///< refused, failed or unbound: the owner drops it
};

const char* to_string(channel_state s) noexcept;

/// What one input did, for the owner (which informs the service).
struct channel_event {
  enum class kind : uint8_t {
    handshake, ///< Frame2 verified, Frame3 OK sent
    bound,     ///< the bind message (first, or a new one on a bound channel)
    heartbeat,
    unbind,    ///< delBind: the channel is closed
    failed,    ///< the channel is closed: `why`
    ignored,   ///< a message on a bound channel that means nothing (the reference ignores it)
  };
  kind k = kind::failed;
  std::string why;
};

class sudph_channel {
public:
  using output_fn = io::kcp::control_block::output_fn;

  /// A new channel for conversation `conv`, created at `now_ms` (any
  /// monotonic millisecond clock).
  sudph_channel(uint32_t conv, const channel_settings& s, output_fn out, int64_t now_ms);

  uint32_t conv() const noexcept { return kcp_.conv(); }
  channel_state state() const noexcept { return state_; }
  bool handshaking() const noexcept {
    return state_ == channel_state::await_frame0 || state_ == channel_state::await_frame2
           || state_ == channel_state::await_bind;
  }
  /// The peer's key, once Frame2 verified.
  const public_key& pk() const noexcept { return pk_; }
  /// The last bind message (state bound).
  const wire::transport::local_addresses& bind() const noexcept { return bind_; }

  /// One datagram of this conversation. Appends what happened to `events`.
  /// Errors (the datagram's, counted by the owner; the channel goes on):
  /// wire category (not KCP of this conversation: nothing applied), kcp
  /// category (a segment broke the protocol and was dropped).
  caf::error input(wire::kcp::byte_span datagram, int64_t now_ms,
                   std::vector<channel_event>& events);

  /// Queues one message to the peer (a push) and sends it if the window
  /// lets it out. would_block when the queue is full; dead_link when dead.
  io::kcp::send_status send(std::string_view message, int64_t now_ms);

  /// Runs KCP's flush when it is due (retransmissions, queued messages).
  void update(int64_t now_ms);
  /// When update() must run next; nullopt when nothing is in flight or
  /// queued (an idle channel needs no timer: ACKs leave with each input).
  std::optional<int64_t> next_update(int64_t now_ms) const;

  /// When the channel is to be dropped if nothing happens: handshake,
  /// bind or idle deadline, depending on the state.
  int64_t deadline() const noexcept;
  /// KCP gave up on a segment (20 transmissions without an ACK).
  bool dead() const noexcept { return kcp_.dead(); }

  const io::kcp::counters& kcp_stats() const noexcept { return kcp_.stats(); }
  size_t buffer_bytes() const noexcept { return kcp_.buffer_bytes(); }

private:
  void on_message(std::string_view msg, int64_t now_ms, std::vector<channel_event>& events);
  void on_frame2(std::string_view line, int64_t now_ms, std::vector<channel_event>& events);
  void fail(std::string why, std::vector<channel_event>& events);
  void queue(std::string_view text);
  void service(int64_t now_ms);

  const channel_settings* cfg_;
  io::kcp::control_block kcp_;
  channel_state state_ = channel_state::await_frame0;
  wire::transport::handshake_nonce nonce_{};
  std::string frame2_; ///< Frame2 bytes until its newline
  public_key pk_;
  wire::transport::local_addresses bind_;
  int64_t created_ms_;
  int64_t phase_ms_;    ///< when the current state began
  int64_t activity_ms_; ///< last datagram accepted
  std::vector<uint8_t> scratch_;
};

} // namespace skywire::services::address_resolver
