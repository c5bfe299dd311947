// Plain HTTP request/response values handed to route handlers and returned by
// the client. They own their bytes, so they can travel in actor messages.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream> // Boost 1.81 string_view needs it before beast/http/verb.hpp
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

namespace skywire::http {

using verb = boost::beast::http::verb;
using status = boost::beast::http::status;
using header_list = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive header lookup (first match).
std::optional<std::string_view> find_header(const header_list& headers, std::string_view name);

struct request {
  verb method = verb::get;
  std::string target;  ///< as received: path plus optional "?query"
  std::string path;    ///< target without the query
  std::string query;   ///< text after '?', without it
  header_list headers;
  std::string body;
  std::map<std::string, std::string, std::less<>> params; ///< from {name} segments
  std::string remote;  ///< "ip:port" of the peer (server side)
  bool keep_alive = true;

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
  /// Value of `name` in the query string (first match, not percent-decoded).
  std::optional<std::string> query_param(std::string_view name) const;
  /// The {name} path parameter, or an empty view.
  std::string_view param(std::string_view name) const;
};

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  header_list headers; ///< extra headers (the server sets Content-Length, Server, Connection)

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

/// A response with a body and content type.
response make_response(unsigned status, std::string body,
                       std::string content_type = "application/json");

} // namespace skywire::http
