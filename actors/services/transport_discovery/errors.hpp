// Errors of the transport discovery (category atom "tpd") and how they
// answer over HTTP: the reference's {"error":"<text>"} + "\n" body with the
// status below. httpauth refusals are not these: they keep the reference's
// own 401 shape (httpauth_guard.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "messages/error.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services::transport_discovery {

enum class tpd_errc : uint8_t {
  bad_input = 1, ///< 400: undecodable body, bad transport ID or key, entry not signed by both edges
  forbidden,     ///< 403: a caller that is no edge of the transport, network-monitor auth
  forged,        ///< 403: an entry signature that does not verify
  not_found,     ///< 404: no such transport
  edge_full,     ///< 422: an edge already has the most transports one key may have
  rate_limited,  ///< 429: the source's budget of new records is spent
  full,          ///< 503: the store holds as many transports as it may
  unexpected,    ///< 500
};

const char* to_string(tpd_errc code) noexcept;
caf::atom_value tpd_category() noexcept;
caf::error make_error(tpd_errc code, std::string text);

/// HTTP status of an error (tpd errors as above, wire errors 400, others 500).
unsigned status_of(const caf::error& err) noexcept;

/// The text a client sees (the context of a tpd error, describe() otherwise).
std::string text_of(const caf::error& err);

/// {"error":"<text>"} + "\n" with the status: the reference's error reply.
http::response error_reply(unsigned status, std::string_view text);
http::response error_reply(const caf::error& err);

// The reference's texts, where it has one.
inline constexpr std::string_view invalid_transport_id = "transport ID is invalid";
inline constexpr std::string_view invalid_public_key = "public key is invalid";
inline constexpr std::string_view transport_not_found = "transport not found";

} // namespace skywire::services::transport_discovery
