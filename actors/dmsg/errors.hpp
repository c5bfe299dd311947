// Errors of the dmsg client that have no reference dmsg code (category atom
// "dmsgcli"). The reference's numeric codes (100 entry not found, 306 no
// listener, ...) are dmsg_errc in objects.hpp (category "dmsg").
#pragma once

#include <cstdint>
#include <string>

#include "actors/dmsg/objects.hpp"
#include "messages/error.hpp"

namespace skywire::dmsg {

enum class client_errc : uint8_t {
  discovery_failed = 1, ///< discovery unreachable or answered an unexpected error
  timeout,              ///< a handshake or request deadline passed
  stream_reset,         ///< the server or the peer reset/closed the stream
  protocol,             ///< the peer broke the yamux/noise/object protocol
  no_ports,             ///< ephemeral port range exhausted
  invalid_argument,     ///< bad address, port or configuration
  no_session,           ///< no session to any usable server
  closed,               ///< the client or stream is shutting down
};

const char* to_string(client_errc x) noexcept;

caf::atom_value client_category() noexcept;

caf::error make_error(client_errc code, std::string context = {});

/// Whether err is a client error with this code.
bool is(const caf::error& err, client_errc code) noexcept;

/// Whether err is a dmsg error with this reference code.
bool is(const caf::error& err, dmsg_errc code) noexcept;

/// What ended a dmsg dial, stream or session, in a few words (a log line's
/// `cause`, the first words of a CLI message): "no such peer in discovery",
/// "dial refused: nothing listens on that port", "reset by the peer or the
/// server", "session to the dmsg server lost", "send queue full", "handshake
/// timeout", "timed out", "the dmsg client stopped", ... describe(err) has the
/// detail. "none" for no error.
std::string failure_cause(const caf::error& err);

/// The same for a session to a dmsg server that failed before it was up
/// (`up` false) or was lost: a connection the server closes or resets during
/// the handshake reads "refused by the server during the handshake (admission
/// or capacity)".
std::string session_failure_cause(const caf::error& err, bool up);

} // namespace skywire::dmsg
