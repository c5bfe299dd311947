// What a dmsg session actor shares with the stream actors it spawns, and what
// the client shares with its sessions. Local to one process.
//
// Stream actors write their yamux frames straight into the session's
// connection (stream_connection::write is thread-safe and never blocks, and
// each buffer holds whole frames, so frames of different streams never
// interleave), which saves an actor hop per write. Session objects
// (StreamRequest/Response) are sealed and opened under a mutex: they are rare
// (two per stream open) and their counters are per session.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/dmsg/objects.hpp"
#include "actors/dmsg/port_table.hpp"
#include "messages/ids.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "actors/dmsg/stream_core.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::dmsg {

using byte_buffer = std::vector<uint8_t>;

/// Per-client state shared by the client actor, its sessions and streams.
struct client_shared {
  public_key pk;
  secret_key sk;
  port_table ports;
  /// Stream handshake deadline (the reference: 20 s).
  std::chrono::milliseconds handshake_timeout{20'000};
  /// Graceful close: how long pending data may wait for window before RST.
  std::chrono::milliseconds close_timeout{5'000};
};

/// Counters of one session, read by the client for info (atomics: written by
/// the session and its streams).
struct session_stats {
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint32_t> streams{0};
};
using session_stats_ptr = std::shared_ptr<session_stats>;

/// One session's connection and object crypto. Thread-safe: stream cores
/// write whole frames from any thread (stream_connection::write never blocks
/// and each buffer holds whole frames, so frames never interleave).
///
/// Back-pressure: data frames are written only while the connection's queue
/// is below high_water; above it a stream core parks itself (wait_ready) and
/// is flushed again once the queue drained (on_sent, from the io thread).
/// Control frames (window updates, FIN, RST, pings, handshake objects) are
/// always written: they are small and bounded by the number of streams.
class session_link {
public:
  /// Queue length above which data frames wait.
  static constexpr size_t high_water = 1024 * 1024;

  /// held: frames wait (in order) until release() (the post-handshake quiet).
  session_link(io::byte_link_ptr conn, public_key server, crypto::noise::session obj,
               session_stats_ptr stats, bool held = false)
    : conn_(std::move(conn)), server_(server), obj_(std::move(obj)), stats_(std::move(stats)),
      held_(held) {}

  /// Queues whole yamux data frames; false if the connection is closed.
  bool write(byte_buffer&& bytes) { return write_control(std::move(bytes)); }

  /// A buffer of n bytes to fill and write() (recycled by the connection
  /// when it has one: no zero-fill, warm pages).
  byte_buffer take_buffer(size_t n) { return conn_->take_buffer(n); }

  /// Queues whole yamux frames; false if the connection is closed.
  bool write_control(byte_buffer&& bytes) {
    stats_->bytes_out.fetch_add(bytes.size(), std::memory_order_relaxed);
    if (held_.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> guard{hold_mtx_};
      if (held_.load(std::memory_order_relaxed)) {
        held_bytes_ += bytes.size();
        held_frames_.push_back(std::move(bytes));
        return true;
      }
    }
    return conn_->write(std::move(bytes));
  }

  /// Queues whole yamux frames given as parts (views valid during the call):
  /// sent from the caller's memory when nothing waits ahead of them.
  bool write_parts(std::span<const std::span<const uint8_t>> parts) {
    size_t n = 0;
    for (auto p : parts)
      n += p.size();
    if (held_.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> guard{hold_mtx_};
      if (held_.load(std::memory_order_relaxed)) {
        byte_buffer b;
        b.reserve(n);
        for (auto p : parts)
          b.insert(b.end(), p.begin(), p.end());
        stats_->bytes_out.fetch_add(n, std::memory_order_relaxed);
        held_bytes_ += n;
        held_frames_.push_back(std::move(b));
        return true;
      }
    }
    stats_->bytes_out.fetch_add(n, std::memory_order_relaxed);
    return conn_->write_parts(parts);
  }

  /// Whether data frames should wait for the connection to drain.
  bool congested() const {
    return held_bytes_ > high_water || conn_->queued_bytes() > high_water;
  }

  /// Parks a stream core until the connection drained. Returns false (and
  /// parks nothing) if it already has.
  bool wait_ready(std::weak_ptr<stream_core> core) {
    std::lock_guard<std::mutex> guard{wait_mtx_};
    if (!congested())
      return false;
    waiting_.push_back(std::move(core));
    return true;
  }

  /// io thread: bytes left the connection's queue; wakes parked streams once
  /// it is below the mark.
  void on_sent() {
    std::vector<std::weak_ptr<stream_core>> ready;
    {
      std::lock_guard<std::mutex> guard{wait_mtx_};
      if (waiting_.empty() || congested())
        return;
      ready.swap(waiting_);
    }
    for (auto& w : ready)
      if (auto c = w.lock())
        c->on_link_ready();
  }

  /// Ends the hold: writes the held frames, then lets writes through.
  void release() {
    {
      std::lock_guard<std::mutex> guard{hold_mtx_};
      for (auto& b : held_frames_)
        if (!conn_->write(std::move(b)))
          break; // closed: the session fails on its own
      held_frames_.clear();
      held_bytes_ = 0;
      held_.store(false, std::memory_order_release);
    }
    on_sent();
  }

  caf::error seal(byte_span signed_bytes, byte_buffer& out) {
    std::lock_guard<std::mutex> guard{mtx_};
    return seal_object(obj_, signed_bytes, out);
  }

  expected<byte_buffer> open(const object_reader& reader) {
    std::lock_guard<std::mutex> guard{mtx_};
    return reader.open(obj_);
  }

  const public_key& server() const noexcept { return server_; }
  session_stats& stats() noexcept { return *stats_; }
  void close() { conn_->close(); }
  /// The session connection's data timers and thread (where its streams'
  /// frames are parsed and their sinks called): for links layered on a
  /// stream (a dmsg transport).
  io::timer_service& timers() { return conn_->timers(); }
  void post(std::function<void()> fn) { conn_->post(std::move(fn)); }

private:
  io::byte_link_ptr conn_;
  public_key server_;
  std::mutex mtx_;
  crypto::noise::session obj_;
  session_stats_ptr stats_;
  std::atomic<bool> held_;
  std::mutex hold_mtx_;
  std::vector<byte_buffer> held_frames_;
  std::atomic<size_t> held_bytes_{0};
  std::mutex wait_mtx_;
  std::vector<std::weak_ptr<stream_core>> waiting_;
};

using session_link_ptr = std::shared_ptr<session_link>;
using client_shared_ptr = std::shared_ptr<client_shared>;

// -- internal messages (never leave the process) -------------------------------------

/// stream core -> stream actor: (snote_atom, uint8 stream_core::notice::kind).
using snote_atom = caf::atom_constant<caf::atom("snote")>;
/// session io -> session actor: (sacc_atom, stream_core_ptr) the server opened a stream.
using sacc_atom = caf::atom_constant<caf::atom("sacc")>;
/// session io -> session actor: (sready_atom, session_link_ptr) the XK handshake completed.
using sready_atom = caf::atom_constant<caf::atom("sready")>;
/// session io -> session actor: (sfail_atom, error) the connection failed.
using sfail_atom = caf::atom_constant<caf::atom("sfail")>;
/// session -> stream: the session is gone (error).
using slost_atom = caf::atom_constant<caf::atom("slost")>;
/// stream -> session: the stream with this id has ended.
using sgone_atom = caf::atom_constant<caf::atom("sgone")>;
/// The session as its streams see it (part of the session actor's interface).
using stream_registry_actor = caf::typed_actor<caf::reacts_to<sgone_atom, uint32_t>>;
// Opening a stream: client -> session -> stream, (api::open_atom, local,
// remote) (messages/api/dmsg.hpp). Session -> client events: api::link_up_atom,
// api::link_down_atom, api::link_error_atom (messages/api/link.hpp).

/// session actor -> itself: the TCP connect finished (connect_slot holds the result).
using cconn_atom = caf::atom_constant<caf::atom("cconn")>;
/// timers
using hstimeout_atom = caf::atom_constant<caf::atom("hstimeout")>;
/// Session: check its streams' handshake deadlines (one timer per session).
using sweep_atom = caf::atom_constant<caf::atom("ssweep")>;
/// Fires once the post-handshake quiet period has passed (session.cpp).
using quiet_atom = caf::atom_constant<caf::atom("squiet")>;
/// How long a new session stays silent after XK message 3.
constexpr std::chrono::milliseconds post_handshake_quiet{20};
using tick_atom = caf::atom_constant<caf::atom("tick")>;

} // namespace skywire::dmsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::dmsg::session_link_ptr)
