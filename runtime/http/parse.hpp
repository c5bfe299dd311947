// The server's request-parsing path, usable without sockets (tests, fuzzing):
// Beast's parser with the same header and body limits the server applies.
#pragma once

#include <cstddef>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "messages/error.hpp"
#include "runtime/http/message.hpp"

namespace skywire::http {

struct parse_limits {
  size_t header_limit = 8 * 1024;
  size_t body_limit = 1 << 20;
};

/// What the server answers when parsing fails: 431 (header too large),
/// 413 (body too large) or 400.
struct parse_failure {
  unsigned status = 400;
  std::string reason;
};

/// Converts a parsed Beast request into our value type (splits path/query).
request to_request(boost::beast::http::request<boost::beast::http::string_body>&& in);

/// Converts a parsed Beast response into our value type (the client side).
response to_response(boost::beast::http::response<boost::beast::http::string_body>&& in);

/// Parses exactly one request from `bytes`. `consumed` receives the number of
/// bytes used (pipelined requests may follow). Never throws.
expected<request> parse_request(std::string_view bytes, const parse_limits& limits,
                                size_t* consumed = nullptr, parse_failure* failure = nullptr);

} // namespace skywire::http
