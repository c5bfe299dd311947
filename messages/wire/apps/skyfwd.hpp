// SkyNet forwarding on routing port 47 (reference §5.7; docs/protocol/apps.md
// "## sky-forwarding"): the opening exchange of a route to port 47.
//
//   dialer -> server   {"port":<remote port>}           one write (Go: json.Marshal of
//                                                       struct{Port int `json:"port"`})
//   server -> dialer   {}                                the port is registered and
//                                                       something listens on it
//                      {"error":"Port :8080 not registered"}   refused (the route closes)
//
// Each side reads the other's message with one read of at most 32 KiB, as
// the reference does; afterwards the route carries the forwarded bytes
// (the Go visors put one HTTP request and its response after another on it;
// ours pipe the bytes of one local TCP connection, which is the same bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "messages/error.hpp"

namespace skywire::wire::apps {

/// The most either side reads for the opening messages (the reference's buffer).
inline constexpr size_t max_fwd_message = 32 * 1024;

/// {"port":N}
std::string encode_fwd_request(uint16_t port);
/// The requested port. Errors: oversized, malformed JSON, no "port", or a
/// port that is not an integer in 0..65535 (the reference's int would then
/// name no registered port either).
expected<uint16_t> decode_fwd_request(std::string_view bytes);

/// {} on success, {"error":"…"} on a refusal (Go's omitempty *string).
std::string encode_fwd_reply(const std::optional<std::string>& error);
/// nullopt: accepted; a text: the server's refusal. Errors: not a reply.
expected<std::optional<std::string>> decode_fwd_reply(std::string_view bytes);

/// The reference's refusal texts.
std::string fwd_not_registered(uint16_t port); ///< "Port :N not registered"
std::string fwd_cannot_dial(uint16_t port);    ///< "Failed to dial port N"

} // namespace skywire::wire::apps
