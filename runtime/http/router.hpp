// A small router: method + path pattern. A pattern is a '/'-separated path in
// which a segment "{name}" matches one non-empty segment and binds it as a
// parameter. Matching is exact otherwise (a trailing '/' is significant, as
// in chi). The first route added that matches wins.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/http/message.hpp"
#include "runtime/http/responder.hpp"

namespace skywire::http {

/// A route handler: may answer at once or keep the responder and answer later.
using handler = std::function<void(request, responder)>;

struct route_options {
  size_t body_limit = 1 << 20; ///< bytes of request body accepted on this route
};

class router {
public:
  struct route {
    verb method;
    std::string pattern;
    std::vector<std::string> segments;
    handler fn;
    route_options options;
  };

  enum class outcome { found, not_found, method_not_allowed };

  struct match {
    outcome result = outcome::not_found;
    const route* r = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow; ///< for method_not_allowed: "GET, POST"
  };

  router& add(verb method, std::string pattern, handler fn, route_options options = {});
  router& get(std::string pattern, handler fn, route_options o = {}) {
    return add(verb::get, std::move(pattern), std::move(fn), o);
  }
  router& post(std::string pattern, handler fn, route_options o = {}) {
    return add(verb::post, std::move(pattern), std::move(fn), o);
  }
  router& del(std::string pattern, handler fn, route_options o = {}) {
    return add(verb::delete_, std::move(pattern), std::move(fn), o);
  }

  /// Finds the route for `method` and `path` (path without query).
  match find(verb method, std::string_view path) const;

  /// The largest body limit of any route (the parser's cap before routing).
  size_t max_body_limit() const noexcept { return max_body_limit_; }

  bool empty() const noexcept { return routes_.empty(); }

private:
  std::vector<route> routes_;
  size_t max_body_limit_ = 0;
};

/// Splits "/a/b/" into {"a","b",""}; "/" into {""}.
std::vector<std::string_view> split_path(std::string_view path);

} // namespace skywire::http
