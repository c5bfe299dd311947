// Errors of the service discovery (category atom "sd") and how they answer
// over HTTP: the reference's servicedisc.HTTPError,
// {"code":<status>,"error":"<text>"} + "\n". httpauth refusals keep their
// own 401 shape (httpauth_guard.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "messages/error.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services::service_discovery {

enum class sd_errc : uint8_t {
  bad_input = 1, ///< 400: undecodable body, bad address, missing type
  forbidden,     ///< 403: another key's address, no version, visor not reachable
  not_found,     ///< 404: no such service
  key_full,      ///< 422: the key holds as many services as one key may
  rate_limited,  ///< 429: the source's budget of new records is spent
  full,          ///< 503: the store holds as many services as it may
};

const char* to_string(sd_errc code) noexcept;
caf::atom_value sd_category() noexcept;
caf::error make_error(sd_errc code, std::string text);

/// {"code":status,"error":"<text>"} + "\n" with the status.
http::response error_reply(unsigned status, std::string_view text);
/// The reply of an sd error (its status and text; 500 for other errors).
http::response error_reply(const caf::error& err);

// The reference's texts.
inline constexpr std::string_view invalid_json = "invalid json";
inline constexpr std::string_view pk_mismatch = "using public key other than your own is forbidden";
inline constexpr std::string_view version_too_old = "visor version is too old";
inline constexpr std::string_view missing_type = "missing service type in request";
inline constexpr std::string_view visor_unreachable = "visor is unreachable";
inline constexpr std::string_view service_not_found = "service not found";

} // namespace skywire::services::service_discovery
