// The responder side of a dmsg stream handshake as a plain function: verify
// the StreamRequest, find the listener, run Noise KK message 2, sign and send
// the StreamResponse, install the keys. The session's io thread runs it the
// moment the request object is whole (session_io sets it as the core's
// responder), so the answer leaves without an actor hop; the stream actor,
// spawned meanwhile, announces the stream to the listener from the outcome.
#pragma once

#include "actors/dmsg/link.hpp"
#include "actors/dmsg/stream_core.hpp"

namespace skywire::dmsg {

/// Answers the request waiting in `core` (its object is whole). On a refusal
/// the core is reset (invalid request, handshake failure) or answered and
/// ended (no listener: the dialer fails fast, as with the reference).
stream_core::accept_outcome respond_to_request(stream_core& core, client_shared& client);

} // namespace skywire::dmsg
