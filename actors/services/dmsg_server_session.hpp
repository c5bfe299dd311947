// One dmsg client session on the server: owns the TCP connection, runs the
// Noise XK responder (5 s deadline), then a yamux server on the raw socket,
// and relays streams to other sessions without decrypting stream payloads.
//
// Stream open (client A -> server -> client B):
//   A's session reads the session-encrypted StreamRequest on A's stream X,
//   verifies it (signature by SrcAddr.PK == A's PK, keys, ports, timestamp),
//   finds B's session (none: RST X at once) and sends it `dsopen`. B's session
//   opens an even stream Y to client B, writes the same signed bytes under B's
//   session keys, reads the response, verifies it (ReqHash, signature by B)
//   and answers A's session with `dsopened`; A's session forwards the
//   response under A's keys. Then the two streams are spliced: data frames of
//   X become data frames of Y and back, untouched. Each side hands the other
//   its `relay_out` (the stream's send window toward its client and its
//   connection): while the receiving side is spliced and has nothing queued,
//   the sending session writes the data frames straight onto the other
//   session's connection, without an actor message per frame; otherwise they
//   go as `dsrelay` and the other session writes them in order.
//
// Flow control end to end: the client's receive window on the sending side is
// re-opened only once the bytes were written to the other client within its
// window (at once for direct writes, by `dscredit` for queued ones, batched),
// so buffering per stream stays below one window plus the relay buffer.
// Window updates to a client are written once its remaining window is below
// half (hashicorp/yamux's rule), not per frame. A client exceeding its window,
// a garbage header, an oversized frame, a bad handshake or silence beyond
// idle_timeout closes that session only.
//
// Messages between session actors (local only):
//   (dsopen,  uint32 a_stream, actor a_session, relay_out to_a, byte_buffer signed_request)
//   (dsopened, uint32 a_stream, uint32 b_stream, actor b_session, relay_out to_b,
//              byte_buffer signed_response)
//   (dsfail,  uint32 a_stream)
//   (dsrelay, uint32 stream, byte_buffer data_with_12_byte_headroom)
//   (dscredit, uint32 stream, uint32 bytes)
//   (dsfin,   uint32 stream)         (dsrst, uint32 stream)
//   (dsreplace)                      the client opened a newer session
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include "messages/ids.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::services {

class dmsg_server_registry;

using dsopen_atom = caf::atom_constant<caf::atom("dsopen")>;
using dsopened_atom = caf::atom_constant<caf::atom("dsopened")>;
using dsfail_atom = caf::atom_constant<caf::atom("dsfail")>;
using dsrelay_atom = caf::atom_constant<caf::atom("dsrelay")>;
using dscredit_atom = caf::atom_constant<caf::atom("dscredit")>;
using dsfin_atom = caf::atom_constant<caf::atom("dsfin")>;
using dsrst_atom = caf::atom_constant<caf::atom("dsrst")>;
using dsreplace_atom = caf::atom_constant<caf::atom("dsreplace")>;

/// Tuning of a server session (the JSON config covers none of these).
struct dmsg_session_limits {
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds response_timeout{20000}; ///< B's StreamResponse
  std::chrono::milliseconds keepalive_interval{30000};
  std::chrono::milliseconds idle_timeout{90000};     ///< nothing received: close
  size_t max_streams = 512;                          ///< per session
  /// Bytes buffered toward one stream beyond the client's window before the
  /// session is considered broken (the sending session only ever has one
  /// window in flight).
  size_t max_stream_backlog = 512 * 1024;
  /// Extra receive window granted to each client once a stream is spliced:
  /// the server buffers up to this much per direction ahead of the other
  /// client's window, so a window round trip through the server does not
  /// stall the sender (0 = credit strictly as the other client takes data).
  uint32_t relay_buffer = 256 * 1024;
  /// Accept a request whose timestamp is within this window of the server
  /// clock (0 = only check > 0, as the reference).
  std::chrono::nanoseconds timestamp_window{0};
};

/// Everything a session needs from its server.
struct dmsg_session_context {
  crypto::keypair server_keys;
  std::shared_ptr<dmsg_server_registry> registry;
  dmsg_session_limits limits;
};

/// Spawns the actor for an accepted connection whose slot in the registry is
/// already acquired (the session releases it when it ends). Starts reading.
caf::actor spawn_dmsg_server_session(caf::actor_system& sys,
                                     std::shared_ptr<const dmsg_session_context> ctx,
                                     io::stream_connection_ptr conn);

} // namespace skywire::services
