// The route finder's HTTP API as a plain class (reference §1.8): request in,
// response out; the actor (service.hpp) owns one, tests drive it directly.
//
//   POST /routes   FindRoutesRequest -> {"<src>:<dst>":[[hop,…],…],…}\n
//   GET  /health   as the transport discovery's
//   GET  /metrics  ours (Prometheus text)
//
// Errors as the reference writes them: {"error":{"message":"…","code":N}}\n
// with 400 (a body that does not decode), 404 (the source has no transports:
// "transport not found"; no path within the bounds: "route not found"), 500
// (anything else, e.g. no graph loaded yet). A 404 on a graph older than
// `miss_refresh` asks the source for a fresh one at once (a visor that has
// just registered its transport retries within the reference's 2 s).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/services/route_finder/graph_source.hpp"
#include "messages/wire/routing/route_finder.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services::route_finder {

enum class rf_op : uint8_t {
  routes,  ///< POST /routes
  health,  ///< GET /health
  metrics, ///< GET /metrics
};

struct rf_config {
  std::string host = "127.0.0.1";
  uint16_t port = 9092;      ///< 0 = ephemeral
  size_t paths_per_edge = 5; ///< k (the reference: 5)
  /// Graph edges the searches of one request may expand in all (graph.hpp);
  /// past it an edge's answer holds what was found (404 when nothing).
  size_t search_budget = 2'000'000;
  size_t max_edges = 16;       ///< edges per request (400 beyond)
  size_t max_body = 16 * 1024; ///< bytes of a request body
  size_t max_connections = 4096;
  /// The graph is rebuilt from the source this often (the actor's sweep).
  std::chrono::nanoseconds refresh_interval = std::chrono::seconds{2};
  /// A 404 on a graph at least this old asks for a new one at once.
  std::chrono::nanoseconds miss_refresh = std::chrono::milliseconds{250};
  std::string version = "skywire-cpp 0.1.0";
  /// "<pk>:<port>" when the API is served over dmsg too (/health says it).
  std::string dmsg_address;
};

class rf_api {
public:
  rf_api(rf_config cfg, std::shared_ptr<graph_source> source);

  http::response handle(rf_op op, const http::request& req);

  /// Asks the source for a fresh graph (the actor calls it every refresh_interval).
  size_t sweep();

  void set_metrics_source(std::function<std::string()> f) { extra_metrics_ = std::move(f); }

  /// The answer to one POST /routes body.
  http::response find_routes(std::string_view body);

  const rf_config& config() const noexcept { return cfg_; }

private:
  http::response health();
  http::response metrics();

  rf_config cfg_;
  std::shared_ptr<graph_source> source_;
  int64_t started_at_;
  std::function<std::string()> extra_metrics_;
  std::shared_ptr<const graph> last_graph_; ///< to date a graph's first use
  std::chrono::steady_clock::time_point last_graph_seen_{};
  struct counters {
    uint64_t requests = 0;
    uint64_t found = 0;       ///< edges answered with paths
    uint64_t not_found = 0;   ///< requests answered 404
    uint64_t bad = 0;         ///< requests answered 400
    uint64_t budget_spent = 0; ///< searches stopped at the budget
    uint64_t expanded = 0;     ///< edges expanded by all searches
  } n_;
};

/// {"error":{"message":"<text>","code":N}}\n with status N.
http::response rf_error_reply(unsigned status, std::string_view text);

} // namespace skywire::services::route_finder
