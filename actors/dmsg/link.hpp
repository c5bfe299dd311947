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
#include <memory>
#include <mutex>
#include <vector>

#include <caf/atom.hpp>

#include "actors/dmsg/objects.hpp"
#include "actors/dmsg/port_table.hpp"
#include "messages/ids.hpp"
#include "runtime/crypto/noise/session.hpp"
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

/// One session's connection and object crypto.
class session_link {
public:
  /// held: frames wait (in order) until release() (the post-handshake quiet).
  session_link(io::stream_connection_ptr conn, public_key server, crypto::noise::session obj,
               session_stats_ptr stats, bool held = false)
    : conn_(std::move(conn)), server_(server), obj_(std::move(obj)), stats_(std::move(stats)),
      held_(held) {}

  /// Queues whole yamux frames; false if the connection is closed or its
  /// queue is over its bound (the session will fail).
  bool write(byte_buffer&& bytes) {
    stats_->bytes_out.fetch_add(bytes.size(), std::memory_order_relaxed);
    if (held_.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> guard{hold_mtx_};
      if (held_.load(std::memory_order_relaxed)) {
        held_frames_.push_back(std::move(bytes));
        return true;
      }
    }
    return conn_->write(std::move(bytes));
  }

  /// Ends the hold: writes the held frames, then lets writes through.
  void release() {
    std::lock_guard<std::mutex> guard{hold_mtx_};
    for (auto& b : held_frames_)
      if (!conn_->write(std::move(b)))
        break; // closed: the session fails on its own
    held_frames_.clear();
    held_.store(false, std::memory_order_release);
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
  void close() { conn_->close(); }

private:
  io::stream_connection_ptr conn_;
  public_key server_;
  std::mutex mtx_;
  crypto::noise::session obj_;
  session_stats_ptr stats_;
  std::atomic<bool> held_;
  std::mutex hold_mtx_;
  std::vector<byte_buffer> held_frames_;
};

using session_link_ptr = std::shared_ptr<session_link>;
using client_shared_ptr = std::shared_ptr<client_shared>;

// -- internal messages (never leave the process) -------------------------------------

/// session -> stream: yamux frame(s) for the stream: (flags, body). Data
/// frames carry a body; window updates carry (flags, delta) with ywin_atom.
using yframe_atom = caf::atom_constant<caf::atom("yframe")>;
using ywin_atom = caf::atom_constant<caf::atom("ywin")>;
/// session -> stream: the session is gone (error).
using slost_atom = caf::atom_constant<caf::atom("slost")>;
/// stream -> session: the stream with this id has ended.
using sgone_atom = caf::atom_constant<caf::atom("sgone")>;
/// client -> session -> stream: open a stream (local, remote).
using sdial_atom = caf::atom_constant<caf::atom("sdial")>;
/// session -> client: (sup_atom, server pk) up; (sdown_atom, server pk, error) lost.
using sup_atom = caf::atom_constant<caf::atom("sup")>;
using sdown_atom = caf::atom_constant<caf::atom("sdown")>;
/// io thread -> session: socket bytes / socket closed.
using cdata_atom = caf::atom_constant<caf::atom("cdata")>;
using cclosed_atom = caf::atom_constant<caf::atom("cclosed")>;
using cconn_atom = caf::atom_constant<caf::atom("cconn")>;
/// timers
using hstimeout_atom = caf::atom_constant<caf::atom("hstimeout")>;
/// Fires once the post-handshake quiet period has passed (session.cpp).
using quiet_atom = caf::atom_constant<caf::atom("squiet")>;
/// How long a new session stays silent after XK message 3.
constexpr std::chrono::milliseconds post_handshake_quiet{20};
using keepalive_atom = caf::atom_constant<caf::atom("keepalive")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

} // namespace skywire::dmsg
