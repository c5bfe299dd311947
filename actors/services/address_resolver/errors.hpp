// Errors of the address resolver (category atom "ar") and how they answer
// over HTTP: the reference's {"error":"<text>"} body (json.Marshal, no
// newline) with the status below. httpauth refusals keep httpauth's own
// 401 shape (httpauth_guard.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "messages/error.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services::address_resolver {

enum class ar_errc : uint8_t {
  bad_input = 1, ///< 400: undecodable body, bad key, a stcpr bind the policy refuses
  forbidden,     ///< 403: network-monitor auth
  not_found,     ///< 404: no binding (or none this caller may see)
  rate_limited,  ///< 429: the source's budget of new keys and bindings is spent
  source_full,   ///< 429: the source holds as many bindings as one source may
  full,          ///< 503: the store holds as many bindings as it may
  unexpected,    ///< 500
};

const char* to_string(ar_errc code) noexcept;
caf::atom_value ar_category() noexcept;
caf::error make_error(ar_errc code, std::string text);

/// HTTP status of an error (ar errors as above, wire errors 400, others 500).
unsigned status_of(const caf::error& err) noexcept;

/// The text a client sees (the context of an ar error, describe() otherwise).
std::string text_of(const caf::error& err);

/// {"error":"<text>"} with the status: the reference's error reply.
http::response error_reply(unsigned status, std::string_view text);
http::response error_reply(const caf::error& err);

// The reference's texts, where it has one.
inline constexpr std::string_view no_entry = "no entry for this PK";

} // namespace skywire::services::address_resolver
