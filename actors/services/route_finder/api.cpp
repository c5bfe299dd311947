#include "actors/services/route_finder/api.hpp"

#include <algorithm>

#include "actors/services/http_service.hpp"
#include "actors/services/metrics_text.hpp"
#include "actors/services/service_clock.hpp"
#include "messages/wire/httpauth.hpp"

namespace skywire::services::route_finder {

namespace wr = wire::routing;

http::response rf_error_reply(unsigned status, std::string_view text) {
  return http::make_response(status, wire::encode_httpauth_error(
                                       {std::string{text}, static_cast<int>(status)}));
}

rf_api::rf_api(rf_config cfg, std::shared_ptr<graph_source> source)
  : cfg_(std::move(cfg)), source_(std::move(source)), started_at_(system_unix_ns()) {}

http::response rf_api::handle(rf_op op, const http::request& req) {
  switch (op) {
  case rf_op::routes: return find_routes(req.body);
  case rf_op::health: return health();
  case rf_op::metrics: return metrics();
  }
  return rf_error_reply(500, "something unexpected happened");
}

size_t rf_api::sweep() {
  source_->refresh();
  return 0;
}

http::response rf_api::find_routes(std::string_view body) {
  ++n_.requests;
  wr::rf_limits lim;
  lim.max_bytes = cfg_.max_body;
  lim.max_edges = cfg_.max_edges;
  auto req = wr::decode_find_routes_request(body, lim);
  if (!req) {
    ++n_.bad;
    return rf_error_reply(400, describe(req.error()));
  }
  auto g = source_->current();
  if (!g)
    return rf_error_reply(500, "the transport graph is not loaded yet");
  auto now = std::chrono::steady_clock::now();
  if (g != last_graph_) {
    last_graph_ = g;
    last_graph_seen_ = now;
  }
  auto miss = [&](std::string_view text) {
    ++n_.not_found;
    if (now - last_graph_seen_ >= cfg_.miss_refresh)
      source_->refresh();
    return rf_error_reply(404, text);
  };
  wr::routes_map out;
  size_t budget = cfg_.search_budget; // shared by the request's edges
  for (const auto& e : req->edges) {
    graph::query q;
    q.src = e.src;
    q.dst = e.dst;
    q.min_hops = req->opts.min_hops;
    q.max_hops = req->opts.max_hops;
    q.k = cfg_.paths_per_edge;
    q.budget = budget;
    auto r = g->find(q);
    budget -= std::min(budget, r.expanded);
    n_.expanded += r.expanded;
    if (r.budget_spent)
      ++n_.budget_spent;
    switch (r.what) {
    case graph::result::outcome::unknown_source: return miss("transport not found");
    case graph::result::outcome::no_route: return miss("route not found");
    case graph::result::outcome::found: break;
    }
    ++n_.found;
    out[e] = std::move(r.paths);
  }
  return http::make_response(200, wr::encode_routes(out));
}

http::response rf_api::health() {
  return health_answer(cfg_.version, started_at_, cfg_.dmsg_address);
}

http::response rf_api::metrics() {
  std::string out;
  auto line = [&](std::string_view name, std::string_view type, uint64_t v) {
    append_metric(out, "rf_" + std::string{name}, type, v);
  };
  line("requests_total", "counter", n_.requests);
  line("edges_found_total", "counter", n_.found);
  line("not_found_total", "counter", n_.not_found);
  line("bad_requests_total", "counter", n_.bad);
  line("search_budget_spent_total", "counter", n_.budget_spent);
  line("search_expanded_total", "counter", n_.expanded);
  out += source_->metrics_text();
  if (extra_metrics_)
    out += extra_metrics_();
  return http::make_response(200, std::move(out), "text/plain; version=0.0.4");
}

} // namespace skywire::services::route_finder
