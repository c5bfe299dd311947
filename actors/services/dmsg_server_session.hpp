// One dmsg client session on the server: an actor for its lifetime
// (registration, close, supervision); the bytes are moved by its
// dmsg_server_link and the stream open protocol is run by its session_opens,
// both on the io threads.
//
//   io thread (the connection's shard)          session actor (CAF scheduler)
//   ─────────────────────────────────────────   ───────────────────────────────
//   handshake: Noise XK responder ──(spawn)──▶  register, start yamux
//   link: yamux parse, pings, SYN ACK,          close: reset the opens, leave
//         windows; spliced data ──▶ peer's       the registry, close the socket
//         relay_tx (no actor hop)               idle timeout, protocol errors,
//   opens: StreamRequest / StreamResponse       resets and FINs raised with
//         verify, open/opened with the peer      relay locks held
//         session's opens (direct calls),
//         response deadline (timer wheel)
//
// Stream open (client A -> server -> client B), no mailbox hop:
//   A's io thread takes the session-encrypted StreamRequest on A's stream X
//   from A's link, verifies it (signature by SrcAddr.PK == A's PK, keys,
//   ports, timestamp), finds B's session in the registry (none: RST X at
//   once) and calls B's opens (open) with X's relay_tx; that opens an even
//   stream Y to client B and writes the same signed bytes under B's session
//   keys. B's io thread takes the response, verifies it (ReqHash, signature
//   by B), splices Y into X's relay_tx and calls A's opens (opened) with Y's
//   relay_tx; A's opens write the response under A's keys ahead of any
//   relayed data and splice X into Y's relay_tx. From then on the links relay
//   on the io threads (see dmsg_server_opens.hpp for the calls and the lock
//   order, dmsg_server_link.hpp and dmsg_server_relay.hpp for flow control
//   end to end, bounds).
//
// Messages to a session actor (local only):
//   (dsrst,   uint32 stream)         reset the stream toward our client
//   (dsreplace)                      the client opened a newer session
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include <boost/asio/io_context.hpp>

#include "messages/ids.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/admission.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::services {

class dmsg_server_registry;

using dsrst_atom = caf::atom_constant<caf::atom("dsrst")>;
using dsreplace_atom = caf::atom_constant<caf::atom("dsreplace")>;

/// Tuning of a server session (the JSON config covers none of these).
struct dmsg_session_limits {
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds response_timeout{20000}; ///< B's StreamResponse
  std::chrono::milliseconds keepalive_interval{30000};
  std::chrono::milliseconds idle_timeout{90000};     ///< nothing received: close
  size_t max_streams = 512;                          ///< per session
  /// Bound of the relay queue of one stream toward a client; the sender is
  /// credited only for bytes written, so it never needs more than one window
  /// plus the relay buffer (the bound used is the larger of the two). More
  /// means a broken peer: the stream is reset.
  size_t max_stream_backlog = 512 * 1024;
  /// Relay data toward a client waits while its connection holds more than
  /// this unsent (the senders are not credited meanwhile and stall); control
  /// frames are bounded by the connection's own limit (16 MiB, then close).
  size_t relay_sink_limit = 1024 * 1024;
  /// Extra receive window granted to each client once a stream is spliced:
  /// the server buffers up to this much per direction ahead of the other
  /// client's window, so a window round trip through the server does not
  /// stall the sender (0 = credit strictly as the other client takes data).
  uint32_t relay_buffer = 256 * 1024;
  /// A spliced stream whose reader keeps up grows its receive window (the
  /// most the server holds for it) up to this, doubling each time a whole
  /// window was relayed within relay_grow_interval, while the sending
  /// session's relay_growth_budget lasts (what all its streams may grow by
  /// together). A window round trip through the server then does not hold a
  /// fast stream back (512 KiB at 500 MiB/s is one millisecond).
  uint32_t relay_window_cap = 2 * 1024 * 1024;
  uint64_t relay_growth_budget = 8 * 1024 * 1024;
  std::chrono::milliseconds relay_grow_interval{4};
  /// Accept a request whose timestamp is within this window of the server
  /// clock (0 = only check > 0, as the reference).
  std::chrono::nanoseconds timestamp_window{0};
};

/// Everything a session needs from its server.
struct dmsg_session_context {
  crypto::keypair server_keys;
  std::shared_ptr<dmsg_server_registry> registry;
  dmsg_session_limits limits;
  /// The listener's admission control (counters of refusals the session
  /// decides: handshake deadline, max_sessions); null in tests without one.
  io::admission_ptr admission;
  /// Where an authenticated session goes on (null, or null returned: it
  /// stays on the shard of its handshake). The server accepts and runs
  /// handshakes on one shard and moves established sessions to the others,
  /// so a flood of unauthenticated connections never delays their relaying
  /// in the same event loop.
  std::function<boost::asio::io_context*()> session_shard;
};

/// Starts an accepted connection: its Noise XK handshake runs on the
/// connection's io thread (server_handshake, no actor yet) within the
/// deadline of its admission `ticket` (null: none; the deadline is then
/// limits.handshake_timeout). An authenticated client takes a session slot
/// of the registry (max_sessions; none free: refused and closed), gives the
/// ticket back and gets its session actor.
void start_dmsg_server_session(caf::actor_system& sys,
                               std::shared_ptr<const dmsg_session_context> ctx,
                               io::stream_connection_ptr conn,
                               io::admission_ticket_ptr ticket = {});

} // namespace skywire::services
