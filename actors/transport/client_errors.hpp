// Errors of the visor's clients of the transport services (transport
// discovery, address resolver): category atom "tpclient". Each carries, as
// values, the HTTP status the service answered (0 when none came) and the
// service's own message ({"error":"…"}, httpauth's {"error":{"message":…}},
// or the body's text), so a caller can act on them and a user reads them:
//   "transport discovery: HTTP 403 forbidden: … the signature of edge … does not verify"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "messages/error.hpp"
#include "runtime/http/message.hpp"

namespace skywire::transport {

enum class client_errc : uint8_t {
  unreachable = 1,  ///< no HTTP answer: connect, timeout, reset, an answer over its bound
  bad_request,      ///< 400
  unauthorized,     ///< 401 (httpauth refused, also after one nonce re-fetch and retry)
  forbidden,        ///< 403
  not_found,        ///< 404
  refused,          ///< any other 4xx (405, 409, 413, 422, 429, ...)
  server_error,     ///< 5xx
  bad_response,     ///< a success whose body is not what the API promises
  invalid_argument, ///< bad URL, type name or argument
  busy,             ///< too many requests queued on one client
};

const char* to_string(client_errc x) noexcept;
caf::atom_value client_category() noexcept;

/// An error of `service` ("transport discovery", "address resolver") with a
/// text; status and server message empty.
caf::error make_error(client_errc code, std::string_view service, std::string text);

/// The error for a non-2xx answer: the code from the status, the service's
/// message extracted from the body.
caf::error http_error(std::string_view service, const http::response& r);

/// Whether err is a client error with this code.
bool is(const caf::error& err, client_errc code) noexcept;

/// The HTTP status the service answered (0: none, or not a client error).
unsigned http_status(const caf::error& err) noexcept;

/// The service's own message ("" when there was none).
std::string server_message(const caf::error& err);

/// The message of an error body: {"error":"<text>"} (TPD, AR),
/// {"error":{"message":"<text>","code":N}} (httpauth),
/// {"message":"<text>","code":N} (dmsg discovery, HTTP server errors), or
/// else the body itself; control characters replaced by ' ', at most 512 bytes.
std::string extract_server_message(std::string_view body);

} // namespace skywire::transport
