// The socket side of one dmsg client session, on the connection's io thread
// (its strand): the Noise XK initiator (message 1 at start, 2 and 3 on the
// first bytes), then yamux on the raw socket: frames are parsed where they
// are read and handed to their stream cores (decryption and delivery happen
// there, on this thread); pings are answered here. Only control reaches the
// session actor: the session is up (sready_atom), a stream the server opened
// (sacc_atom), the session failed (sfail_atom). No actor message per frame.
// Keepalive pings are data timers on the link's timer wheel (no CAF timer).
//
// Streams are registered by the session actor before their SYN is written
// (add) and removed when their actor ends (remove); the table is guarded by a
// mutex (one uncontended lock per socket read and stream).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>

#include "actors/dmsg/link.hpp"
#include "actors/dmsg/stream_core.hpp"
#include "messages/wire/yamux/fragment_splitter.hpp"
#include "messages/wire/yamux/frame.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/io/byte_link.hpp"

namespace skywire::dmsg {

class session_io : public std::enable_shared_from_this<session_io> {
public:
  struct params {
    client_shared_ptr client;
    public_key server;
    session_stats_ptr stats;
    caf::actor actor; ///< the session actor (receives the control events)
    /// Keepalive: a ping this often once the session is up (the link's timer
    /// wheel); a ping still unanswered at the next one fails the session.
    std::chrono::nanoseconds keepalive{std::chrono::seconds{30}};
    /// Direct hooks (simulations and tests without an actor), called on the
    /// io thread in addition to the messages.
    std::function<void(const session_link_ptr&)> on_ready;
    std::function<void(const stream_core_ptr&)> on_accept;
    std::function<void(const caf::error&)> on_fail;
  };

  explicit session_io(params p);
  ~session_io();

  /// Sends XK message 1 and starts reading. An error means nothing started.
  caf::error start(io::byte_link_ptr conn);

  /// Registers a stream we open; false if the session is gone.
  bool add(stream_core_ptr core);
  void remove(uint32_t id);
  size_t streams() const;

  /// Starts the keepalive (after the post-handshake quiet); thread-safe.
  void start_keepalive();

  /// Closes the connection (the actor learns it through sfail_atom unless it
  /// asked for it).
  void close();

private:
  void on_bytes(byte_span bytes);
  void on_handshake_bytes(byte_span bytes);
  void on_yamux_bytes(byte_span bytes);
  void route(const wire::yamux::fragment& f);
  stream_core_ptr find(uint32_t id);
  stream_core_ptr accept(uint32_t id);
  void fail(caf::error err);
  void on_keepalive();

  params p_;
  io::byte_link_ptr conn_;
  std::optional<crypto::noise::handshake> hs_; // strand only
  byte_buffer hs_buf_;                         // strand only
  session_link_ptr link_;                      // set on the strand once up
  wire::yamux::fragment_splitter splitter_;    // strand only
  std::vector<stream_core_ptr> touched_;       // strand only: streams of this read
  bool failed_ = false;                        // strand only
  mutable std::mutex mtx_;
  std::unordered_map<uint32_t, stream_core_ptr> streams_;
  bool closed_ = false; // guarded by mtx_
  bool ping_outstanding_ = false;             // strand only
  uint32_t ping_id_ = 0;                       // strand only
  io::timer_service::timer_id keepalive_timer_ = 0; // strand only
};

using session_io_ptr = std::shared_ptr<session_io>;

} // namespace skywire::dmsg
