// Errors of the HTTP layer (category atom "http"), as values.
#pragma once

#include <cstdint>
#include <string>

#include "messages/error.hpp"

namespace skywire::http {

enum class http_errc : uint8_t {
  bad_url = 1,        ///< not an http://host[:port][/path] URL
  resolve_failed,     ///< the host name did not resolve
  connect_failed,     ///< TCP connect refused or unreachable
  timeout,            ///< the request's deadline passed
  too_large,          ///< a header or body exceeded its limit
  protocol,           ///< the peer sent something that is not HTTP/1.1
  closed,             ///< the connection closed before a full response
  bind_failed,        ///< the listener could not bind or listen
  cancelled,          ///< the operation was cancelled (shutdown)
};

const char* to_string(http_errc x) noexcept;

caf::atom_value http_category() noexcept;

caf::error make_error(http_errc code, std::string context = {});

} // namespace skywire::http
