// One route's endpoint as a plain class on its shard (reference §4.4, §4.5,
// §4.9; docs/protocol/routing.md "## route group"):
//  - the route handshake: we always send HandshakePacket(1 | offer bits) and
//    never fall back to plaintext: a missing or late HandshakePacket, a byte 0,
//    or a Data packet first fails the group with a clear error;
//  - Noise KK through the route (dialer = initiator, 5 s), each handshake
//    message one DataPacket (`u16 len | msg`), then one Noise transport frame
//    per DataPacket (<= 4070 plaintext bytes, as the reference);
//  - keep-alive every 15 s when nothing was written, Ping every 3 s, Pong
//    echoing the timestamp, the round trip time from it;
//  - the close protocol: optional ErrorPacket, ClosePacket, wait <= 2 s for the
//    peer's ClosePacket; a peer's ClosePacket is answered and ends the stream;
//  - bounded queues: a write beyond max_send_queue is refused (queue_full),
//    received data beyond what the consumer took waits in a bounded hold and
//    asks the router to stop reading (pressure_fn); past the hard bound the
//    group fails loudly (overflow) — nothing is dropped silently;
//  - the negotiated extensions (wire/routing/group_frame.hpp): reliable mode
//    (sequence numbers, cumulative + selective acks, retransmission on a
//    timer, a path that can be replaced without losing or repeating a byte,
//    and flow control: every ack carries the receive window — what the
//    consumer has room for — the sender never sends beyond it, a window that
//    opens is announced, a closed one is probed on the retransmission timer)
//    and uniform cells (every DataPacket payload exactly cell_size bytes,
//    keep-alive and ping in band).
//
// Seams: packets leave through write_fn (the router supplies the forward
// rule's next transport; it answers busy when the transport is congested and
// calls on_writable() once it drained); packets arrive through on_packet()
// (the router, for the group's consume route id). Time is the shard's
// io::timer_service and a clock function, so tests run on a virtual clock.
//
// Threading: every method runs on the shard's thread (the actor posts onto
// it); callbacks (sink, events, pressure, write_fn) run there too, and must
// not destroy the core while it calls them.
//
// Files: route_group_handshake.cpp (HandshakePacket, Noise KK, their resends
// and timeouts), route_group_reliable.cpp (reliable mode), route_group_core.cpp
// (the rest: paths, receiving, delivery, writing, keep-alive, ping, close).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>

#include "messages/ids.hpp"
#include "messages/wire/routing/group_frame.hpp"
#include "messages/wire/routing/packet.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "actors/transport/transport_core.hpp"
#include "runtime/io/timer_service.hpp"

namespace skywire::routing {

using byte_buffer = std::vector<uint8_t>;

class route_group_core {
public:
  enum class role : uint8_t { initiator, responder };
  enum class phase : uint8_t {
    handshake,   ///< HandshakePackets
    noise,       ///< Noise KK through the route
    established, ///< data flows
    closing,     ///< our Close is out (or waits for our reliable data), waiting for the peer's
    closed,      ///< ended cleanly
    failed,      ///< ended with an error
  };
  /// What the router answers for one packet.
  enum class send_status : uint8_t {
    ok,     ///< taken
    busy,   ///< not taken: the transport is congested (on_writable() follows)
    failed, ///< not taken: no such transport / the transport is down
  };
  using write_fn = std::function<send_status(wire::routing::packet_type, route_id, byte_span)>;
  /// A transport's answer to a write as the group reads it: queue_full and
  /// not_up are busy (the router calls on_writable() once it drained; in
  /// reliable mode the retransmission timer retries too), the rest failed.
  static send_status to_send_status(transport::transport_core::write_result r) noexcept;
  enum class write_result : uint8_t { ok, not_open, queue_full, failed };
  /// Received plaintext, in order, one call per received packet.
  using sink_fn = std::function<void(byte_buffer&&)>;
  enum class event : uint8_t {
    established,   ///< the handshake finished: write() accepted
    remote_closed, ///< the peer closed (end of stream, after every received byte was handed
                   ///< to the sink; err carries its ErrorPacket text if any)
    closed,        ///< our close finished
    failed,        ///< the group failed (err says why)
  };
  using event_fn = std::function<void(event, const caf::error&)>;
  /// true: stop reading the route's transport (the consumer is behind); false: resume.
  using pressure_fn = std::function<void(bool)>;
  using clock_fn = std::function<std::chrono::nanoseconds()>;
  /// A path was found dead (its router answered failed) or silent (nothing
  /// heard on it for path_silence since something that expects an answer
  /// went out on it): the dialer sets up another one. Called once per path
  /// (again only after the path was heard from in between).
  /// It must not change the paths before it returns (post the change).
  using path_fn = std::function<void(route_id forward_rid)>;
  /// The send queue drained (to half its bound or less) after a write was
  /// refused with queue_full: the writer may go on.
  using drain_fn = std::function<void()>;
  /// Runs a function on the core's shard (the first transport's link post).
  using post_fn = std::function<void(std::function<void()>)>;

  struct timing {
    std::chrono::nanoseconds handshake_wait = std::chrono::seconds{2}; ///< HandshakePacket
    std::chrono::nanoseconds noise_wait = std::chrono::seconds{5};     ///< KK messages
    /// A lost HandshakePacket (and, between two of ours, KK message) goes again after this.
    std::chrono::nanoseconds handshake_resend = std::chrono::milliseconds{250};
    std::chrono::nanoseconds keep_alive = std::chrono::seconds{15};
    std::chrono::nanoseconds ping = std::chrono::seconds{3};
    std::chrono::nanoseconds close_wait = std::chrono::seconds{2};
    // reliable mode
    std::chrono::nanoseconds min_rto = std::chrono::milliseconds{200};
    std::chrono::nanoseconds max_rto = std::chrono::seconds{2};
    std::chrono::nanoseconds give_up = std::chrono::seconds{30}; ///< no ack at all for this long
    std::chrono::nanoseconds ack_delay = std::chrono::milliseconds{10}; ///< longest an ack waits
    /// A path is silent when nothing came back on it for this long after a
    /// data packet or a ping went out on it (reliable mode).
    std::chrono::nanoseconds path_silence = std::chrono::seconds{3};
  };

  struct config {
    role side = role::initiator;
    crypto::keypair local;
    public_key remote;
    /// The route id handed to write_fn with every packet: the next route id
    /// of our forward rule (what the packet carries), or the rule's key when
    /// the router's send looks the rule up itself.
    route_id forward_rid;
    /// The key of the first path's consume rule: packets carrying it are
    /// that path's (0: every packet not of another path).
    route_id consume_rid;
    /// Extensions we offer (a Go peer answers 1: none are used).
    wire::routing::group_options offer;
    std::optional<crypto::keypair> ephemeral; ///< vector tests only
    timing t;
    size_t max_unconsumed = 1024 * 1024;    ///< delivered and not yet consumed()
    /// Reliable mode: the receive window in bytes, which is then the bound on
    /// what was delivered and not consumed (the sender stays within it).
    size_t reliable_window = 4 * 1024 * 1024;
    size_t max_held = 1024 * 1024;          ///< received beyond that, waiting (hard bound)
    size_t max_send_queue = 4 * 1024 * 1024; ///< written and not yet taken by the router
    /// Reliable mode: written and not yet sent (the window holds what is in
    /// flight, so this only has to keep the window fed).
    size_t reliable_send_queue = 256 * 1024;
    /// Reliable: unacknowledged packets (the window in bytes bounds them
    /// too: 4 MiB are ~1035 full packets, or ~4250 cells of 1024 bytes).
    size_t max_inflight = 4096;
    clock_fn clock;                         ///< default: steady_clock
  };

  struct stats {
    uint64_t packets_in = 0;
    uint64_t packets_out = 0;
    uint64_t bytes_delivered = 0;
    uint64_t bytes_written = 0;
    uint64_t retransmits = 0;       ///< reliable
    uint64_t duplicates = 0;        ///< reliable: data already delivered (acked again)
    uint64_t deferred = 0;          ///< reliable: data refused while the consumer is behind
    uint64_t window_probes = 0;     ///< reliable: packets sent into a closed window (persist)
    uint64_t window_updates = 0;    ///< reliable: acks sent because our window opened
    uint64_t undecryptable = 0;     ///< reliable: frames dropped (retransmission covers them)
    uint64_t control_not_sent = 0;  ///< ping/keep-alive/ack the router did not take
    uint64_t pings_answered = 0;
    uint64_t pongs = 0;
    uint64_t ignored = 0;           ///< packets after the end, or of no use in this phase
    uint64_t paths_lost = 0;        ///< paths reported dead or silent (path_fn)
  };

  route_group_core(config cfg, io::timer_service& timers, write_fn out);
  ~route_group_core();
  route_group_core(const route_group_core&) = delete;
  route_group_core& operator=(const route_group_core&) = delete;

  void set_sink(sink_fn fn);
  void set_event_fn(event_fn fn) { on_event_ = std::move(fn); }
  void set_pressure_fn(pressure_fn fn) { on_pressure_ = std::move(fn); }
  void set_path_fn(path_fn fn) { on_path_lost_ = std::move(fn); }
  void set_drain_fn(drain_fn fn) { on_drain_ = std::move(fn); }
  /// How to reach the shard (set by whoever places the core, before anyone
  /// holding only the core needs it). Thread-safe once set.
  void set_post_fn(post_fn fn) { post_ = std::move(fn); }
  /// Runs fn on the core's shard; false when no way to it was set.
  bool post(std::function<void()> fn) const {
    if (!post_)
      return false;
    post_(std::move(fn));
    return true;
  }

  /// Begins the handshake (initiator: sends its HandshakePacket).
  void start();
  /// A packet the router received for our consume route id.
  void on_packet(const wire::routing::packet_view& p);
  /// The transport drained: queued packets go out.
  void on_writable();

  /// Sends app bytes (split into frames). ok: taken (queued if the router is
  /// busy); queue_full: nothing taken, the caller retries after draining.
  write_result write(byte_span plain);
  /// The consumer processed n delivered bytes.
  void consumed(size_t n);
  /// Graceful close (reason, if any, travels as an ErrorPacket first).
  void close(caf::error reason = {});
  /// Ends the group now with `why` (failed): the dialer could not keep the
  /// route (no path within its time). The peer learns it from an
  /// ErrorPacket and a ClosePacket sent on the live paths, best effort.
  void abort(caf::error why);
  /// Reliable mode: the route continues on another path (new forward rule;
  /// `consume_rid` its consume rule's key, 0: unknown). Every path so far is
  /// dropped; everything unacknowledged goes out again on the new one.
  void replace_path(write_fn out, route_id forward_rid, route_id consume_rid = {});
  /// Reliable mode, multipath: one more path to the same peer (its own forward
  /// rule). Data is striped over the live paths that are not silent; a
  /// retransmission takes another path than the last try; a path whose
  /// router answers `failed` is dropped while another one lives. Acks and
  /// keep-alives take the path heard from last, pings go round all live
  /// paths (so a silent path is heard again once it works). The peer needs
  /// nothing: its reliable receiver reorders. False (nothing changed) unless
  /// established in reliable mode.
  bool add_path(write_fn out, route_id forward_rid, route_id consume_rid = {});
  /// Drops the path of `forward_rid`; false when it is unknown or the only one.
  bool remove_path(route_id forward_rid);
  /// Whether a path of this forward rule is one of the group's.
  bool has_path(route_id forward_rid) const noexcept;
  /// Paths not known to be dead.
  size_t live_paths() const noexcept;
  /// Live paths heard from lately (not silent).
  size_t usable_paths() const noexcept;

  // -- inspection ---------------------------------------------------------------------
  phase current_phase() const noexcept { return phase_; }
  /// The extensions in use (valid once established).
  const wire::routing::group_options& options() const noexcept { return agreed_; }
  /// The last measured round trip (zero before the first Pong).
  std::chrono::nanoseconds rtt() const noexcept { return rtt_; }
  const caf::error& failure() const noexcept { return failure_; }
  /// The text of the peer's ErrorPacket, if it sent one.
  const std::string& peer_error() const noexcept { return peer_error_; }
  const stats& counters() const noexcept { return stats_; }
  size_t send_queue_bytes() const noexcept { return queued_bytes_; }
  size_t unconsumed() const noexcept { return unconsumed_; }
  size_t held_bytes() const noexcept { return held_bytes_; }
  size_t inflight() const noexcept { return inflight_.size(); }
  /// App bytes one DataPacket carries at most in the agreed mode.
  size_t max_chunk() const noexcept;

private:
  /// A reliable data frame's plaintext, sealed in place: the prefix
  /// (wire::routing::reliable_data_prefix, written at each try), the app
  /// bytes, and with cells the padding up to the cell.
  struct out_chunk {
    byte_buffer frame;
    uint32_t app_len = 0;
  };
  struct sent_packet {
    uint32_t seq = 0;
    out_chunk data;
    std::chrono::nanoseconds first_sent{0};
    std::chrono::nanoseconds last_sent{0};
    uint32_t tries = 0;
    size_t path = 0; ///< the path of the last try
    bool sacked = false;
    bool probe = false; ///< sent beyond the peer's window (a window probe)
  };
  struct path {
    write_fn out;
    route_id rid;
    route_id consume;
    bool dead = false;
    bool silent = false;
    bool reported = false;                 ///< path_fn was told
    std::chrono::nanoseconds last_heard{0};
    std::chrono::nanoseconds waiting_since{0}; ///< first answer awaited since last heard (0: none)
  };
  /// Sends one data packet on path i, or on the next usable one when i's
  /// router says failed (then i is dead, if another path lives); returns the
  /// path used.
  std::pair<send_status, size_t> send_on(size_t i, byte_span payload);
  bool usable(const path& p) const noexcept;
  void heard(route_id consume);
  void expect_answer(path& p);
  void path_lost(path& p);
  void check_paths();
  /// The path for acks and keep-alives (heard from last), or for a ping (in turn).
  size_t control_path(bool probe);

  std::chrono::nanoseconds now() const;
  io::timer_service::timer_id after(std::chrono::nanoseconds d, void (route_group_core::*fn)());
  void cancel(io::timer_service::timer_id& id);
  void cancel_all();

  send_status send_raw(wire::routing::packet_type t, byte_span payload, bool probe = false);
  void send_control(wire::routing::packet_type t, byte_span payload, bool probe = false);
  void send_handshake_packet();

  void on_handshake_packet(const wire::routing::packet_view& p);
  void on_data_packet(const wire::routing::packet_view& p);
  void on_close_packet();
  void on_ping(const wire::routing::packet_view& p);
  void on_pong(uint64_t timestamp_ms);
  void begin_noise();
  void noise_message(byte_span payload);
  void established();

  // data (reference mode)
  void plain_frames(byte_span payload);
  // data (extension mode)
  void inner_frames(byte_span payload);
  void on_inner(const wire::routing::inner_frame& f);
  caf::error seal_inner(const wire::routing::inner_frame& f, byte_buffer& out);
  void send_inner_control(const wire::routing::inner_frame& f);
  // reliable
  void reliable_data(const wire::routing::inner_frame& f);
  void on_ack(uint32_t ack, uint32_t sack, uint32_t wnd);
  void send_ack();
  /// Our receive window: packets from rcv_next_ on that the consumer has room for.
  uint32_t recv_window() const noexcept;
  /// Our receive window with nothing unconsumed (what both ends assume at first).
  uint32_t full_window() const noexcept;
  /// The window to put into an outgoing frame (remembered as advertised).
  uint32_t advertise();
  /// After the consumer took bytes: an ack when our window opened enough
  /// for the peer to hear it (it may be waiting on a closed window).
  void maybe_window_update();
  bool window_closed() const noexcept;
  void send_probe();
  uint32_t sack_bits() const;
  void transmit(sent_packet& sp);
  void fill_window();
  void arm_rto();
  void on_rto();
  void on_ack_timer();
  /// In-order packets acknowledged by one ack (or by the data we send).
  static constexpr uint32_t ack_every = 8;

  void deliver(byte_span plain);
  void release_held();
  void flush();
  /// Tells the drain_fn once a refused writer may go on.
  void maybe_drained();
  size_t pending_send() const noexcept;
  /// What may be delivered and not consumed: the window in reliable mode.
  size_t send_bound() const noexcept {
    return agreed_.reliable ? cfg_.reliable_send_queue : cfg_.max_send_queue;
  }
  size_t receive_bound() const noexcept {
    return agreed_.reliable ? cfg_.reliable_window : cfg_.max_unconsumed;
  }
  bool drained() const;
  void send_close_now();

  void on_handshake_timeout();
  void on_resend();
  void send_confirmation();
  void on_noise_timeout();
  void on_keep_alive_tick();
  void on_path_dead();
  void on_ping_tick();
  void on_close_timeout();

  void fail(caf::error err);
  void finish(event ev, caf::error err);

  config cfg_;
  io::timer_service& timers_;
  std::vector<path> paths_; ///< [0] from the constructor; more with add_path
  size_t rr_ = 0;           ///< striping position
  sink_fn sink_;
  event_fn on_event_;
  pressure_fn on_pressure_;
  path_fn on_path_lost_;
  size_t probe_rr_ = 0;
  drain_fn on_drain_;
  post_fn post_;
  bool refused_ = false; ///< a write got queue_full: drain_fn is due
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  phase phase_ = phase::handshake;
  bool started_ = false;
  bool peer_hs_seen_ = false;
  bool peer_closed_ = false;
  wire::routing::group_options agreed_;
  std::optional<crypto::noise::handshake> hs_;
  crypto::noise::session ns_;
  crypto::noise::frame_reader fr_;

  // timers
  io::timer_service::timer_id hs_timer_ = 0;
  io::timer_service::timer_id ka_timer_ = 0;
  io::timer_service::timer_id ping_timer_ = 0;
  io::timer_service::timer_id close_timer_ = 0;
  io::timer_service::timer_id rto_timer_ = 0;
  io::timer_service::timer_id ack_timer_ = 0;
  io::timer_service::timer_id resend_timer_ = 0;
  io::timer_service::timer_id dead_timer_ = 0; ///< on_path_dead pending
  byte_buffer sent_msg_;    ///< our KK message (sent again on a repeat, extensions only)
  byte_buffer seen_msg_;    ///< the peer's KK message (a repeat is recognised)
  bool confirmed_ = true;   ///< responder with extensions: the initiator was heard
  bool heard_inner_ = false;
  bool close_sent_ = false;
  bool ended_by_peer_ = false; ///< we answered the peer's Close
  std::chrono::nanoseconds last_close_answer_{0};
  uint32_t close_answers_ = 0;
  static constexpr uint32_t max_close_answers = 4;
  std::chrono::nanoseconds confirm_until_{0}; ///< initiator: repeat the confirmation until then
  uint32_t unacked_in_ = 0; ///< in-order packets received since our last ack
  bool wrote_since_tick_ = false;

  // send side
  std::deque<byte_buffer> queued_; ///< reference / cells: sealed payloads the router did not take
  size_t queued_bytes_ = 0;
  bool blocked_ = false;           ///< the router answered busy
  // reliable send side
  std::deque<out_chunk> sendq_;   ///< app chunks waiting for the window
  size_t sendq_bytes_ = 0;         ///< their bytes
  std::deque<sent_packet> inflight_;
  uint32_t next_seq_ = 0;
  uint32_t snd_edge_ = 0; ///< the peer's window: seqs below it may be sent
  std::chrono::nanoseconds srtt_{0};
  std::chrono::nanoseconds rttvar_{0}; ///< mean deviation of the samples (RFC 6298)
  std::chrono::nanoseconds rto_{0};
  std::chrono::nanoseconds last_ack_at_{0};
  // reliable receive side
  uint32_t rcv_next_ = 0;
  uint32_t adv_edge_ = 0; ///< rcv_next_ + the window we advertised last
  std::map<uint32_t, byte_buffer> ooo_; ///< out-of-order data (seq - rcv_next_ < max_inflight)
  size_t ooo_bytes_ = 0;

  // receive side
  std::deque<byte_buffer> held_;
  size_t held_bytes_ = 0;
  size_t unconsumed_ = 0;
  bool paused_ = false;

  byte_buffer plain_scratch_; ///< seal_inner's plaintext (capacity kept)
  byte_buffer sealed_scratch_; ///< a reliable data frame sealed (the router copies it out)

  std::chrono::nanoseconds rtt_{0};
  caf::error failure_;
  caf::error close_reason_;
  bool end_pending_ = false; ///< remote_closed waits for the held data to be taken
  caf::error pending_end_;
  std::string peer_error_;
  stats stats_;
};

/// A route group core shared between the actor and the shard that runs it.
using route_group_core_ptr = std::shared_ptr<route_group_core>;

} // namespace skywire::routing

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::routing::route_group_core_ptr)
