// tcp_pipe: one actor joining a dmsg stream and a local TCP connection (see
// pipe_core). It either adopts a connected socket or connects to a local
// endpoint itself (then stream bytes wait until the connection is up).
// It quits when both sides have ended.
#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "messages/api/dmsg.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::dmsg_tools {

/// Pipes `stream` and the already connected `conn`; `leftover` is written to
/// the stream first (bytes the socket produced before the pipe took over).
caf::actor spawn_tcp_pipe(caf::actor_system& sys, api::stream_opened stream,
                          io::stream_connection_ptr conn, std::vector<uint8_t> leftover = {});

/// Connects to host:port on `io` (loopback targets only by design of the
/// callers) and pipes `stream` to it; when the connection fails the stream is
/// closed.
caf::actor spawn_tcp_pipe_to(caf::actor_system& sys, io::io_runtime& io, api::stream_opened stream,
                             std::string host, uint16_t port);

} // namespace skywire::dmsg_tools
