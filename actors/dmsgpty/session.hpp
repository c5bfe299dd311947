// One dmsgpty connection (a dmsg stream accepted on the pty port, or a CLI
// socket connection), wire-compatible with the reference's dmsgpty host:
// it reads the request [u8 len][URI], answers 0/1, then serves Go net/rpc
// (gob) on the connection.
//   dmsgpty/pty        service "pty": Start/Stop/Read/Write/SetPtySize on a
//                      child process on a pty (runtime/io/pty_process)
//   dmsgpty/whitelist  service "whitelist" (CLI only): asks the host actor
//   dmsgpty/proxy?pk=&port= (CLI only): dials pk:port over dmsg, sends
//                      dmsgpty/pty there and, once the remote accepts, pipes
//                      the connection's bytes both ways (the RPC runs end to end)
// Calls are served concurrently: a Read waits for output without holding up
// Write or SetPtySize; answers leave as they complete, matched by Seq.
// Bounded: request wait, gob message size, Read size, buffered pty output,
// outstanding calls. When the connection ends the child is stopped and reaped.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "messages/api/dmsg.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::dmsgpty {

struct session_limits {
  size_t max_read = 64 * 1024;          ///< bytes in one Read reply
  size_t max_message = 1024 * 1024;     ///< one gob message (Write payloads)
  size_t max_buffered_output = 256 * 1024; ///< pty output held before pausing the pty
  size_t max_outstanding = 64;          ///< calls in progress per connection
  std::chrono::milliseconds request_timeout{10'000}; ///< for the URI request
  std::chrono::milliseconds proxy_timeout{30'000};   ///< dial + remote accept
  std::chrono::milliseconds stop_grace{2'000};       ///< SIGKILL after this
};

struct session_params {
  caf::actor host;   ///< whitelist calls
  api::dmsg_client_actor dmsg;///< the dmsg client (proxy dials)
  io::io_runtime* io = nullptr;
  /// Exactly one of the two: a dmsg stream (remote peer, pty only) or a CLI
  /// socket connection (every endpoint).
  std::optional<api::stream_opened> stream;
  io::stream_connection_ptr conn;
  session_limits limits;
};

caf::actor spawn_session(caf::actor_system& sys, session_params params);

} // namespace skywire::dmsgpty
