// Errors of a transport link (category atom "transport"): why a transport
// never came up or why it went down. Every error carries its full meaning in
// words in its context text ("transport: rejected by the peer: not listening
// on given port"), so describe(err) prints just that text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "messages/error.hpp"

namespace skywire::transport {

enum class transport_errc : uint8_t {
  handshake_timeout = 1, ///< a handshake phase passed its deadline (the text names it)
  rejected,              ///< the responder answered Frame3 with OK=false (its text kept)
  refused,               ///< we (the responder) refused the initiator's Frame2 (Frame3 OK=false)
  bad_signature,         ///< Frame2 or the settlement entry did not verify
  noise_failed,          ///< the Noise KK handshake or a transport frame failed
  settlement_failed,     ///< settlement refused (status byte) or the entry differs
  protocol,              ///< garbage, an oversized frame or bytes out of turn
  peer_closed,           ///< the peer closed the connection (a clean end of stream)
  cut,                   ///< the connection broke (reset, I/O error)
  peer_silent,           ///< nothing arrived from the peer within the idle bound
  closed,                ///< closed by our side (close() or abort())
  invalid_argument,      ///< bad keys or parameters given to the core
  // -- the manager's (actors/transport/manager) --------------------------------------
  unknown_transport,     ///< no transport with this ID (or to this peer)
  type_unavailable,      ///< the transport type is unknown or not enabled here
  unreachable,           ///< no address for the peer, or the connection was refused
  dial_timeout,          ///< the transport was not up within the dial deadline
  replaced,              ///< a duplicate connection of the same transport won (§3.7)
};

const char* to_string(transport_errc x) noexcept;

caf::atom_value transport_category() noexcept;

/// An error of this category; context is appended to the code's words.
caf::error make_error(transport_errc code, std::string context = {});

/// A rejection by the peer: the text it sent travels in the error too
/// (peer_text() gives it back).
caf::error make_rejection(std::string peer_text);

/// Whether err is a transport error with this code.
bool is(const caf::error& err, transport_errc code) noexcept;

/// The peer's own words of a rejection (Frame3 ErrMsg), if err is one.
std::optional<std::string> peer_text(const caf::error& err);

/// What ended a transport, in a few words for a log line's `cause` or the
/// first words of a CLI message ("handshake timeout", "rejected by the peer",
/// "the peer closed the connection", "connection cut", "peer silent", ...).
/// describe(err) has the detail. "none" for no error.
std::string failure_cause(const caf::error& err);

} // namespace skywire::transport
