// One transport link as a plain class: the transport handshake, Noise KK,
// the settlement and the data path of a transport between two visors, over
// any io::byte_link (a TCP connection for stcp/stcpr, a KCP session for
// sudph, a dmsg stream for dmsg; tests/sim's simulated link in tests). It
// owns no socket and no actor: the transport actor/manager beside it starts
// it, reads its callbacks and steers it.
//
// What runs (reference §3.3–3.4, §2.5; docs/protocol/transports.md):
//   mode noise_kk (stcp, stcpr, sudph):
//     frames      get_nonce / Frame1 / Frame2 / Frame3   (handshake_io.hpp) 10 s
//     noise       Noise KK, dialer = initiator            (handshake_io.hpp)  5 s
//     settlement  signed entry -> status byte, as Noise transport frames     20 s
//     up          data both ways as Noise transport frames
//   mode dmsg: the dmsg stream is already Noise KK end to end: settlement
//     straight on the stream (20 s), then plain data.
//   mode handshake_only (the sudph address-resolver channel): the frames,
//     then plain data; no Noise, no settlement.
// A failed phase ends the link with a typed error (errors.hpp); a deadline
// per phase runs on the link's timer wheel (its shard's, or the virtual clock
// of a simulation).
//
// Threads. Everything below marked [link] runs on the link's thread (the
// shard that owns the byte_link, serialized with its callbacks); [any] may
// be called from any thread.
//  - Handshakes, decryption and the callbacks run on the link's thread. Each
//    socket read is decrypted there and handed to on_data once (one call per
//    read batch, the plaintext of every frame of that read).
//  - write() encrypts on the caller's thread under a send lock and queues the
//    frames on the link (no thread hop, frames never interleave). Written on
//    the link's own thread (noise_kk mode: a relay forwarding what it read,
//    a route group on the link's shard), the plaintext is gathered instead
//    and sealed and sent once the current handler is done (or once
//    gather_limit bytes are waiting): full 4070-byte frames that span the
//    writes' boundaries and one socket write for the lot, instead of a frame
//    pair and a send(2) per routing packet. The transport is a byte stream
//    to its reader (the reference reads packets from it with io.ReadFull),
//    so where frames begin does not matter on the wire.
//    Written from another link's thread while that link delivers a read (a
//    relay whose two transports sit on different shards), the plaintext is
//    gathered too and sealed and sent when that delivery ends: one socket
//    write per read batch and outgoing transport, not one per packet.
//  - The send queue is bounded (params::max_send_queue, wire bytes): a write
//    that does not fit is refused with write_result::queue_full, never
//    dropped; on_writable follows once the queue drained to half.
//
// Keep-alive. The reference sends nothing at this layer (a Go transport is
// kept busy by route pings, and its idle timeout is configured but never
// used). We send an empty Noise frame when we sent nothing for
// params::keepalive (noise_kk mode): the reference's reader skips empty
// frames, so Go peers ignore it, and it keeps NAT mappings (sudph) alive and
// makes a dead TCP peer surface as a write error. A peer that sends such
// frames is one of ours: from its first keep-alive on, silence for
// params::dead_after ends the transport with peer_silent (a Go peer, which
// never sends keep-alives, is never declared dead for being idle; set
// peer_keepalive_known to apply the bound from the start).
//
// Lifetime. The owner's shared_ptr keeps the core alive (the link and the
// timers hold it weakly); dropping the last reference closes the link at
// once, and no callback follows.
//
// Close. close() ends gracefully: writes are refused, the queued frames go
// out (at most close_linger), then the connection is closed; the peer sees
// peer_closed. abort() closes at once. on_down comes exactly once, last,
// with the cause (transport_errc::closed for our own close).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "actors/transport/errors.hpp"
#include "actors/transport/handshake_io.hpp"
#include "actors/transport/settlement.hpp"
#include "messages/ids.hpp"
#include "messages/wire/transport/entry.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "runtime/io/byte_link.hpp"

namespace skywire::io {
class stream_connection;
}

namespace skywire::transport {

enum class transport_mode : uint8_t {
  noise_kk,       ///< stcp, stcpr, sudph
  dmsg,           ///< settlement on a dmsg stream, no second Noise layer
  handshake_only, ///< the address resolver's sudph channel: frames, then plain bytes
};

enum class transport_role : uint8_t { initiator, responder };

enum class link_phase : uint8_t {
  created,    ///< start() not yet run on the link's thread
  frames,     ///< get_nonce / Frame1 / Frame2 / Frame3
  noise,      ///< Noise KK
  settlement, ///< the signed entry and the status byte
  deciding,   ///< responder: the entry verified, waiting for complete_settlement()
  up,         ///< data both ways
  closing,    ///< closing: writes refused, queued frames going out
  down,       ///< ended; on_down was called
};

const char* to_string(link_phase p) noexcept;

/// The bound of a transport's send queue (params::max_send_queue) by its
/// type: 4 MiB, but 512 KiB for sudph. KCP keeps two windows of its own
/// behind the queue (in flight and in its send queue: up to 256 segments
/// each, 700 KB, with our peers), so more queue is only latency in front of
/// the flow, and a writer on another thread that may fill half of 4 MiB per
/// wake-up seals for 0.7 ms at a time: on two CPUs the peer's reader, placed
/// beside it by the scheduler, then waits (docs/benchmarks.md, session 23).
size_t send_queue_for(std::string_view type) noexcept;

/// Counters of one transport (atomics: read from any thread).
struct link_counters {
  std::atomic<uint64_t> bytes_in{0};      ///< data plaintext delivered to on_data
  std::atomic<uint64_t> bytes_out{0};     ///< data plaintext accepted by write()
  std::atomic<uint64_t> wire_in{0};       ///< every byte read from the link
  std::atomic<uint64_t> wire_out{0};      ///< every byte written to the link
  std::atomic<uint64_t> keepalives_in{0}; ///< empty Noise frames received
  std::atomic<uint64_t> keepalives_out{0};
  std::atomic<uint64_t> writes_refused{0}; ///< write() calls answered queue_full
};

/// What on_up reports.
struct established {
  transport_role role = transport_role::initiator;
  transport_mode mode = transport_mode::noise_kk;
  std::string type;
  address local;  ///< ours as the handshake settled it (dmsg: params)
  address remote; ///< the peer's
  /// The settled entry: the initiator's carries its own signature only (the
  /// reference never sends the responder's back), the responder's both.
  /// Empty in handshake_only mode.
  std::optional<wire::transport::signed_entry> entry;
};

class transport_core : public std::enable_shared_from_this<transport_core> {
public:
  struct timeouts {
    std::chrono::nanoseconds frames{std::chrono::seconds{10}};     ///< reference: 10 s
    std::chrono::nanoseconds noise{std::chrono::seconds{5}};       ///< reference: 5 s
    std::chrono::nanoseconds settlement{std::chrono::seconds{20}}; ///< reference: 20 s
    /// An empty Noise frame after this long without a write (0 = never).
    std::chrono::nanoseconds keepalive{std::chrono::seconds{10}};
    /// Silence after which a keep-alive-sending peer is dead (0 = never).
    std::chrono::nanoseconds dead_after{std::chrono::seconds{30}};
    /// Longest wait for queued frames on a graceful close.
    std::chrono::nanoseconds close_linger{std::chrono::seconds{5}};
  };

  struct params {
    transport_mode mode = transport_mode::noise_kk;
    transport_role role = transport_role::initiator;
    /// The transport type of the entry and ID ("stcpr", "stcp", "sudph",
    /// "dmsg"); unused in handshake_only mode.
    std::string type;
    crypto::keypair local;
    /// The peer. Initiator: required (noise_kk, dmsg); in handshake_only the
    /// DstAddr key (null for the address resolver). Responder: dmsg mode only
    /// (the stream's peer); noise_kk learns it from Frame2.
    public_key remote;
    /// Initiator: our SrcAddr port (an ephemeral virtual port, >= 49152;
    /// 0 for the address resolver). dmsg mode: our stream port (reported only).
    port local_port;
    /// Initiator: the DstAddr port (45). dmsg mode: the peer's stream port.
    port remote_port{wire::transport::transport_port};
    /// Responder: the check of a verified Frame2 (empty: DstAddr.port must
    /// be 45, the reference's "not listening on given port").
    frame_exchange::frame2_check check_frame2;
    /// Responder in handshake_only mode: accept any DstAddr key (the
    /// address resolver); transports require their own key.
    bool require_own_key = true;
    /// Bound of the send queue, in wire bytes.
    size_t max_send_queue = 4 * 1024 * 1024;
    /// Bound of one read from the link (and so of one on_data batch).
    size_t max_read = 256 * 1024;
    timeouts limits;
    /// Apply dead_after from the start (both ends known to keep alive).
    bool peer_keepalive_known = false;

    /// Vector tests only: Frame1's nonce, the KK ephemeral key.
    std::optional<wire::transport::handshake_nonce> fixed_nonce;
    std::optional<crypto::keypair> fixed_ephemeral;

    // -- callbacks, all [link] -------------------------------------------------------
    /// The transport is up (settled); writes are accepted from now on.
    std::function<void(const established&)> on_up;
    /// The plaintext of one read; the span is valid during the call only.
    /// Required.
    std::function<void(byte_span)> on_data;
    /// The transport ended (or never came up): exactly once, last. Required.
    std::function<void(const caf::error&)> on_down;
    /// After a write was refused (queue_full): the queue drained to half.
    std::function<void()> on_writable;
    /// Responder: the initiator's entry verified and now carries both
    /// signatures. The status byte waits until complete_settlement() (the
    /// reference registers the entry at transport discovery first). Unset:
    /// the settlement completes at once.
    std::function<void(const wire::transport::signed_entry&)> on_register;
  };

  enum class write_result : uint8_t {
    ok,
    not_up,     ///< still in the handshakes
    queue_full, ///< the send queue would exceed max_send_queue; nothing was sent
    too_large,  ///< larger than the whole send queue bound
    closed,     ///< closing or ended
  };

  /// Checks the parameters (keys, type, callbacks). [any]
  static expected<std::shared_ptr<transport_core>> make(params p);

  ~transport_core();
  transport_core(const transport_core&) = delete;
  transport_core& operator=(const transport_core&) = delete;

  /// Runs the handshakes over `link` (connected, not started: the core
  /// starts it). Once. [any]
  void start(io::byte_link_ptr link);

  /// Encrypts and queues plaintext (split into frames of at most 4070
  /// bytes). Only once up. [any]
  write_result write(byte_span plain);
  /// The same for the concatenation of `parts` (views valid during the call
  /// only): a routing packet's header and payload without joining them. [any]
  write_result write_parts(std::span<const byte_span> parts);

  /// Plaintext gathered on the link's thread beyond which it is sealed and
  /// sent at once rather than at the end of the handler.
  static constexpr size_t gather_limit = 64 * 1024;

  /// Responder after on_register: sends status 1 (accept) or 0 (refuse, the
  /// transport then ends with settlement_failed). [any]
  void complete_settlement(bool accept);

  /// Graceful close (see the top). [any]
  void close();
  /// Immediate close. [any]
  void abort();

  /// Back-pressure toward the peer: stop/resume reading the link. [any]
  void pause_reading();
  void resume_reading();

  link_phase phase() const noexcept { return phase_.load(std::memory_order_acquire); }
  const link_counters& counters() const noexcept { return stats_; }
  /// Wire bytes queued on the link and not yet sent. [any]
  size_t queued_bytes() const;
  transport_mode mode() const noexcept { return p_.mode; }
  transport_role role() const noexcept { return p_.role; }
  const std::string& type() const noexcept { return p_.type; }

private:
  explicit transport_core(params p);

  // [link]
  void begin();
  void on_bytes(byte_span in);
  void on_sent();
  void on_link_closed(const boost::system::error_code& ec);
  void on_frames(byte_span in);
  void on_kk(byte_span in);
  void on_encrypted(byte_span in);
  void on_plain(byte_span in);
  /// Settlement plaintext; returns how many bytes it took (the rest is data).
  size_t on_settlement(byte_span in);
  void begin_kk();
  void begin_settlement();
  void decide(bool accept);
  void go_up();
  void enter(link_phase ph);
  void arm_deadline(std::chrono::nanoseconds d);
  void on_deadline();
  void arm_tick();
  void on_tick();
  void send_keepalive();
  /// Ends the link: err is what on_down reports; flush: queued frames go out
  /// first (a Frame3 refusal, a status byte, a graceful close).
  void shutdown(caf::error err, bool flush);
  void cancel_timers();
  void check_writable();
  const char* waiting_for() const;

  // [link] or under send_mtx_
  /// Writes handshake bytes as they are.
  void send_raw(byte_buffer&& bytes);
  /// Writes settlement plaintext: encrypted in noise_kk mode.
  void send_control(byte_span plain);
  /// Under send_mtx_: seals the gathered plaintext and hands it to the link
  /// (false: the link refused it, it ended).
  bool flush_gathered_locked();
  /// [link] the posted end of a handler's gathering (a write on the link's
  /// thread outside a delivery).
  void flush_gathered();
  /// [any] the end of the delivery this core's gathering was deferred to.
  void flush_deferred();
  /// The delivery of one read to on_data on the link's thread: writes made
  /// meanwhile from this thread (to this transport, or to transports on
  /// other threads) are gathered and flushed once each when the outermost
  /// scope ends, before the thread waits again.
  struct delivery_scope {
    delivery_scope();
    ~delivery_scope();
    delivery_scope(const delivery_scope&) = delete;
    delivery_scope& operator=(const delivery_scope&) = delete;
  };
  /// True when this thread is inside a delivery_scope.
  static bool in_delivery() noexcept;
  /// Under send_mtx_: wire bytes queued on the link or gathered.
  size_t queued_locked() const;
  /// True when the caller runs on the link's thread and the link is a
  /// socket (io::stream_connection, whose io thread runs a fn posted now
  /// after the current handler): then writes are gathered.
  bool on_link_thread() const;

  params p_;
  io::byte_link_ptr link_;
  /// link_ as a socket connection (null for other links: KCP, dmsg streams,
  /// simulated links, where every write goes out at once).
  const io::stream_connection* socket_ = nullptr;
  std::atomic<link_phase> phase_{link_phase::created};
  link_counters stats_;

  // [link] only
  std::optional<frame_exchange> fx_;
  std::optional<kk_exchange> kk_;
  std::optional<settlement> st_;
  std::unique_ptr<crypto::noise::frame_reader> reader_;
  established info_;
  io::timer_service::timer_id deadline_ = 0;
  io::timer_service::timer_id tick_ = 0;
  io::timer_service::timer_id linger_ = 0;
  std::chrono::nanoseconds tick_interval_{0};
  std::chrono::nanoseconds silent_for_{0};
  bool rx_since_tick_ = false;
  bool peer_keeps_alive_ = false;
  bool shutting_ = false;  ///< shutdown() ran: input ignored, close pending
  bool link_closing_ = false;
  caf::error pending_err_; ///< what on_down reports once the link closed

  // send side: the session's send half and the link's write order
  mutable std::mutex send_mtx_;
  crypto::noise::session session_; ///< send half under send_mtx_, receive half [link]
  std::atomic<bool> sent_since_tick_{false};
  byte_buffer gathered_;      ///< under send_mtx_: plaintext written on the link's thread
  bool flush_posted_ = false; ///< under send_mtx_: flush_gathered() is on its way
  /// Under send_mtx_: registered with the delivery of a read on another
  /// link's thread, which flushes what was gathered when it ends.
  bool flush_deferred_ = false;
  std::atomic<bool> refused_{false};
};

using transport_core_ptr = std::shared_ptr<transport_core>;

} // namespace skywire::transport
