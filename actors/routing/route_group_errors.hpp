// Errors of a route group (category atom "rgroup"): why a route never carried
// data or why it ended. Every error carries its meaning in words ("route
// group: handshake timeout: no HandshakePacket from the initiator within 2s"),
// so describe(err) prints just that text.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "messages/error.hpp"

namespace skywire::routing {

enum class route_group_errc : uint8_t {
  handshake_timeout = 1, ///< no HandshakePacket or Noise message in time (the text names which)
  plaintext_refused,     ///< the peer would run the route unencrypted (byte 0, or Data first)
  protocol,              ///< a packet out of turn, a malformed frame, an undecryptable frame
  noise_failed,          ///< the Noise KK handshake through the route failed
  peer_closed,           ///< the peer closed the route (a clean end)
  peer_error,            ///< the peer sent an ErrorPacket before closing (its text kept)
  unreachable,           ///< reliable mode: no acknowledgement within the give-up time
  path_failed,           ///< the router could not send on the route's transport
  overflow,              ///< the receive queue passed its hard bound (the consumer stopped)
  closed,                ///< closed by our side
  invalid_argument,      ///< bad keys or parameters given to the core
};

const char* to_string(route_group_errc x) noexcept;

caf::atom_value route_group_category() noexcept;

/// An error of this category; context is appended to the code's words.
caf::error make_error(route_group_errc code, std::string context = {});

/// Whether err is a route group error with this code.
bool is(const caf::error& err, route_group_errc code) noexcept;

/// A wait as the error texts name it: "2000ms".
std::string ms_text(std::chrono::nanoseconds d);

} // namespace skywire::routing
