// The data plane of a spliced dmsg stream on the server: plain classes used
// from io threads (no actor, no CAF), tested directly.
//
//   client A ──X──▶ [A's link: relay_rx of X] ──▶ [relay_tx toward B on Y] ──▶ client B
//
// * relay_rx (one per stream and session): the yamux receive window the
//   server grants its client on that stream. Data frames take from it; the
//   window comes back (credit) only once the bytes were written to the other
//   client, so what the server holds per stream and direction is bounded by
//   one window plus the relay buffer. Window updates are coalesced: written
//   only once the client's remaining window fell below half of its bound.
// * relay_tx (one per stream and session): data toward the client on that
//   stream, within the send window the client granted. The sending session
//   pushes the bodies of one read (one buffer with 12 bytes of headroom for
//   the header); they are written straight onto the reader's connection when
//   the window, the order and the reader's connection allow, else queued in
//   the relay_tx and written later by whichever thread sees the obstacle go
//   (a window update, the connection draining, the splice completing).
// * session_out (one per session): that session's connection (frame_sink),
//   the soft bound on its write queue above which relay data waits (the
//   sender is then not credited and stalls), and the events toward the
//   session's actor.
//
// Threads and locks. A relay_tx is written by the sending session's io
// thread and drained by the reading session's io thread (and both actors), a
// relay_rx is credited by either: each has its own mutex. Lock order, from
// outer to inner (never two of the same kind at once):
//     a session's link mutex → relay_tx::mtx_ → relay_rx::mtx_ → the
//     connection's internal mutex.
// Events (stream_events) are called with locks held: they must not call back
// into the link or the relay synchronously (the session posts a message).
//
// Nothing is dropped silently: a write a connection refuses (closed, or over
// its hard bound) resets the stream toward both clients (events of both
// sessions); data pushed into a closed relay_tx resets the stream too.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>

#include "messages/wire/yamux/frame.hpp"
#include "messages/wire/yamux/window.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::services::dmsg_relay {

using byte_buffer = io::byte_buffer;
using byte_span = std::span<const uint8_t>;

/// A reader's connection holding at most this unsent counts as idle (its
/// kernel buffer takes what comes): a relay window may grow then.
inline constexpr size_t idle_reader_queue = 64 * 1024;

/// A relay window grows only for a client whose data frames average at
/// least this: with small frames (4 KiB, as Go senders write) more window
/// only lets the sender write each frame with its own syscall instead of
/// in batches after a wait, which costs both ends more CPU than the wait
/// (measured: 4 KiB frames relayed at 280 MiB/s and 1.5 ms of server CPU
/// per MiB with growth, 430 MiB/s and 0.45 ms without; docs/benchmarks.md).
inline constexpr size_t min_grow_frame = 16 * 1024;

/// A yamux header in front of every relayed body.
inline constexpr size_t headroom = 12;

/// Writes a yamux header at p (p must have 12 bytes).
void put_header(uint8_t* p, wire::yamux::frame_type type, uint16_t flags, uint32_t id,
                uint32_t len);
/// A whole header-only frame (window update, ping, go away).
byte_buffer header_frame(wire::yamux::frame_type type, uint16_t flags, uint32_t id, uint32_t len);

/// Where a session's frames go: its client's connection. Thread-safe.
class frame_sink {
public:
  virtual ~frame_sink() = default;
  /// False: closed, or over the connection's hard bound (nothing queued).
  virtual bool write(byte_buffer&& bytes) = 0;
  /// Writes parts in order, straight from the caller's memory where the
  /// sink can (copied: bytes it had to copy). Default: one copy, write().
  virtual bool write_gather(std::span<const byte_span> parts, size_t& copied) {
    byte_buffer b;
    for (auto p : parts)
      b.insert(b.end(), p.begin(), p.end());
    copied = b.size();
    return write(std::move(b));
  }
  /// Bytes accepted and not yet handed to the kernel.
  virtual size_t queued_bytes() const = 0;
  virtual void close() = 0;
};

/// frame_sink over a stream_connection.
class connection_sink final : public frame_sink {
public:
  explicit connection_sink(io::stream_connection_ptr c) : conn_(std::move(c)) {}
  /// The connection moved to another shard (stream_connection::move_to):
  /// only while no other thread can use this sink yet (a session that is
  /// not registered and has no streams).
  void retarget(io::stream_connection_ptr c) { conn_ = std::move(c); }
  bool write(byte_buffer&& bytes) override { return conn_->write(std::move(bytes)); }
  bool write_gather(std::span<const byte_span> parts, size_t& copied) override {
    return conn_->write_gather(parts, copied);
  }
  size_t queued_bytes() const override { return conn_->queued_bytes(); }
  void close() override { conn_->close(); }

private:
  io::stream_connection_ptr conn_;
};

/// Stream events raised on a thread that does not own the session (called
/// with relay locks held: post, never call back).
class stream_events {
public:
  virtual ~stream_events() = default;
  /// Reset stream `id` toward the client and forget it.
  virtual void reset_stream(uint32_t id) = 0;
  /// FIN was written toward the client on `id`.
  virtual void fin_sent(uint32_t id) = 0;
};

/// Server-wide relay figures (tests, health).
struct relay_stats {
  std::atomic<uint64_t> queued{0};      ///< bytes waiting in relay_tx queues now
  std::atomic<uint64_t> queued_peak{0}; ///< the most ever waiting at once
  std::atomic<uint64_t> sink_peak{0};   ///< the most a connection held when relay data was written
  std::atomic<uint64_t> resets{0};      ///< streams reset because a write was refused
  // What the relay did, counted where it happens (exported on /metrics):
  std::atomic<uint64_t> frames{0};       ///< data frames received on spliced streams
  std::atomic<uint64_t> bytes{0};        ///< their body bytes
  std::atomic<uint64_t> copied_bytes{0}; ///< payload bytes copied in user space by the relay
  std::atomic<uint64_t> writes{0};       ///< buffers handed to the other client's connection
};

/// One session's output toward its client.
class session_out {
public:
  session_out(std::shared_ptr<frame_sink> sink, size_t sink_limit,
              std::shared_ptr<stream_events> events, std::shared_ptr<relay_stats> stats = {});

  frame_sink& sink() { return *sink_; }
  stream_events& events() { return *events_; }
  size_t sink_limit() const { return sink_limit_; }
  relay_stats& stats() { return *stats_; }

  /// True while the connection holds less than sink_limit. When it holds
  /// more, marks the session blocked (take_blocked() tells the drain side)
  /// and looks once more, so a drain that ran meanwhile is not missed.
  bool has_room(size_t want);

  /// Called after the connection wrote bytes: true once if relay data waits
  /// for room and there is room again (the caller pumps its relay_tx's).
  bool take_blocked();

  /// Bytes in relay_tx queues toward this client.
  size_t relay_queued() const { return queued_.load(std::memory_order_relaxed); }
  void add_queued(size_t n);
  void sub_queued(size_t n);

private:
  const std::shared_ptr<frame_sink> sink_;
  const size_t sink_limit_;
  const std::shared_ptr<stream_events> events_;
  const std::shared_ptr<relay_stats> stats_;
  std::atomic<bool> blocked_{false};
  std::atomic<size_t> queued_{0};
};

/// The extra receive window one session's spliced streams may grow by in
/// total (relay_rx::allow_growth): what the server may hold for that client
/// beyond each stream's fixed window and relay buffer. Thread-safe.
class window_budget {
public:
  explicit window_budget(uint64_t bytes) noexcept : left_(bytes) {}
  /// Takes n if that much is left.
  bool take(uint64_t n) noexcept {
    auto cur = left_.load(std::memory_order_relaxed);
    do {
      if (cur < n)
        return false;
    } while (!left_.compare_exchange_weak(cur, cur - n, std::memory_order_relaxed));
    return true;
  }
  void give(uint64_t n) noexcept { left_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t left() const noexcept { return left_.load(std::memory_order_relaxed); }

private:
  std::atomic<uint64_t> left_;
};

/// The receive window of one stream (what its client may still send).
class relay_rx {
public:
  using clock = std::chrono::steady_clock;

  relay_rx(std::shared_ptr<frame_sink> sink, uint32_t id, uint32_t window);
  ~relay_rx();

  /// The client sent n bytes: false when beyond its window (protocol error).
  bool take(uint32_t n);
  /// n bytes were passed on: the client may send n more (bounded by the
  /// window's bound; written as a window update once below half).
  /// reader_idle: the other client's connection holds (almost) nothing
  /// unsent, so the window, not the reader, holds the stream back: only
  /// then may the window grow (allow_growth).
  void credit(uint32_t n, bool reader_idle = false);
  /// Raises the bound by extra and grants it (the relay buffer).
  void widen(uint32_t extra);
  /// Auto-tuning, as the clients' receive windows do (actors/dmsg/
  /// flow_control.hpp): each time a whole bound of credit came back faster
  /// than `interval` and the reader's connection is idle at that moment (the
  /// reader keeps up and the sender is held by the window, not by the
  /// reader: a larger window would only pile bytes up in the server) and the
  /// client sends large frames (at least min_grow_frame on average in that
  /// window), the bound doubles, up to max_bound, taking
  /// the extra from `budget` (nothing grows when it is spent). A stream
  /// whose reader is slow returns credit slowly and never grows. What a
  /// stream took goes back to the budget when it ends.
  void allow_growth(uint32_t max_bound, clock::duration interval,
                    std::shared_ptr<window_budget> budget);
  uint32_t window() const;
  uint32_t bound() const;
  uint32_t id() const { return id_; }

private:
  void maybe_grant(); // mtx_ held
  void maybe_grow(uint32_t credited, bool reader_idle); // mtx_ held

  mutable std::mutex mtx_;
  const std::shared_ptr<frame_sink> sink_;
  const uint32_t id_;
  wire::yamux::recv_window rw_; ///< what the client may still send; bound = window + relay buffer once spliced
  // auto-tuning (allow_growth)
  std::shared_ptr<window_budget> budget_;
  uint32_t max_bound_ = 0;
  clock::duration grow_interval_{};
  clock::time_point epoch_{}; ///< when the current bound's credit started
  uint64_t epoch_credit_ = 0; ///< credit since epoch_
  uint64_t epoch_taken_ = 0;  ///< data bytes received since epoch_
  uint64_t epoch_takes_ = 0;  ///< and in how many pieces
  uint32_t grown_ = 0;        ///< taken from budget_
};

using relay_rx_ptr = std::shared_ptr<relay_rx>;

/// Data toward one client on one stream.
class relay_tx {
public:
  enum class push_result : uint8_t { ok, closed };
  /// Most views one push_parts() writes with one sendmsg (header included).
  static constexpr size_t max_gather = io::stream_connection::max_gather_parts;

  relay_tx(std::shared_ptr<session_out> out, uint32_t id, uint32_t send_window,
           size_t max_queued);

  uint32_t id() const { return id_; }
  session_out& out() { return *out_; }

  // -- the owning session (its client's frames) ----------------------------------------

  /// A window update from the client; false on overflow (protocol error).
  /// Writes what waited for it.
  bool add_window(uint32_t n);
  /// Writes a data frame of the server's own (a dmsg object) ahead of any
  /// relay data and opens the relay; false when it does not fit the window.
  bool open_with(const byte_buffer& body);
  /// Uses n bytes of the window for the server's own data (before open()).
  void consume_window(uint32_t n);
  /// Relay data may flow (the object toward the client is written).
  void open();
  /// The stream is reset or the session ends: queued data goes with it.
  void close();
  bool fin_sent() const;
  /// Writes what the window and the connection allow now.
  void pump();

  // -- the sending session -----------------------------------------------------------

  /// Who is credited for bytes written, and who hears of a failed write.
  void set_source(relay_rx_ptr rx, std::shared_ptr<session_out> src);
  /// Relays the bodies in data (after `headroom` bytes). `closed`: the stream
  /// is gone on this side (the caller resets its own stream).
  push_result push(byte_buffer&& data);
  /// Relays `len` bytes given as views (valid during the call only): written
  /// straight from them when nothing waits (zero copies), else copied into
  /// the queue.
  push_result push_parts(std::span<const byte_span> parts, size_t len);
  /// FIN after the data pushed so far.
  void finish();

  // -- figures -----------------------------------------------------------------------
  size_t queued() const;
  uint32_t send_window() const;

private:
  struct outcome {
    uint32_t credited = 0;
    bool fin = false;
    bool failed = false;
    relay_rx* rx = nullptr;       ///< whom to credit (noted under mtx_)
    session_out* src = nullptr;   ///< the sending session (noted under mtx_)
    uint32_t src_id = 0;
  };
  void note(outcome& o) const; // mtx_ held
  void pump_locked(outcome& o);
  bool write_locked(byte_buffer&& b, size_t body, outcome& o);
  void drop_locked();
  void settle(const outcome& o); // after unlocking: credit, events

  mutable std::mutex mtx_;
  const std::shared_ptr<session_out> out_;
  const uint32_t id_;
  const size_t max_queued_;
  wire::yamux::send_window window_; ///< what the client granted us
  std::deque<byte_buffer> queue_; ///< bodies after `headroom`, in order
  size_t front_sent_ = 0;         ///< body bytes of queue_.front() already written
  size_t queued_ = 0;             ///< body bytes in queue_ not yet written
  relay_rx_ptr src_rx_;
  std::shared_ptr<session_out> src_;
  uint32_t src_id_ = 0;
  bool open_ = false;
  bool closed_ = false;
  bool fin_pending_ = false;
  bool fin_sent_ = false;
};

using relay_tx_ptr = std::shared_ptr<relay_tx>;

} // namespace skywire::services::dmsg_relay
