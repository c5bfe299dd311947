// The visor's client of the route finder (reference §1.8, §4.7 step 4):
// POST /routes with the edges wanted and the hop bounds, the answer decoded
// strictly and bounded (messages/wire/routing/route_finder.hpp:
// decode_routes_answer): at most `limits` bytes, edges, paths and hops, and
// every path checked to join its edge's keys hop to hop, within the bounds,
// without a key twice. A hostile route finder gets a bad_response, never a
// crash or an unbounded allocation.
//
// Errors are the transport clients' (actors/transport/client_errors.hpp),
// service "route finder": 404 -> client_errc::not_found (the reference's
// visor reads it as "transport not found" and stops retrying), 400 ->
// bad_request, 5xx -> server_error, no answer -> unreachable.
//
// The callback runs once, on an I/O thread (a call refused before anything
// is sent: at once, on the caller's): an actor only forwards the result to
// itself. Requests go through an http::client_sender: HTTP over TCP by
// default, a dmsghttp sender (actors/dmsg/dmsghttp.hpp) for dmsg:// URLs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"
#include "messages/wire/routing/route_finder.hpp"
#include "runtime/http/client.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::routing {

using wire::routing::path;
using wire::routing::path_edge;
using wire::routing::routes_map;

inline constexpr std::string_view rf_service_name = "route finder";

struct rf_client_options {
  std::chrono::milliseconds timeout{10'000}; ///< the config's routing.route_finder_timeout
  wire::routing::rf_limits limits{.max_bytes = 1 << 20, .max_edges = 16, .max_paths = 16,
                                  .max_hops = 1024};
  http::client_sender send; ///< empty: HTTP over TCP on the io runtime
};

class rf_client {
public:
  using options = rf_client_options;

  /// `base_url` as in the config's routing.route_finder (a path prefix is
  /// kept); a dmsg:// URL needs options::send.
  static expected<rf_client> make(io::io_runtime& io, std::string_view base_url,
                                  options opts = {});
  /// The same with opts.send given (no io runtime needed).
  static expected<rf_client> make(std::string_view base_url, options opts);

  using routes_callback = std::function<void(expected<routes_map>)>;

  /// Up to k paths for each edge, min_hops <= length <= max_hops.
  void find_routes(std::vector<path_edge> edges, uint16_t min_hops, uint16_t max_hops,
                   routes_callback cb) const;

  /// The request find_routes sends (for the blocking CLI form).
  http::client_request make_request(const wire::routing::find_routes_request& r) const;

  /// What find_routes makes of an answer: the routes, or the error.
  static expected<routes_map> read_answer(expected<http::response> res,
                                          const wire::routing::find_routes_request& asked,
                                          const wire::routing::rf_limits& limits);

  const options& opts() const noexcept { return opts_; }

private:
  rf_client(http::url base, options opts) : base_(std::move(base)), opts_(std::move(opts)) {}
  http::url base_;
  options opts_;
};

} // namespace skywire::routing
