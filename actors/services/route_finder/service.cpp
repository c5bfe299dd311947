#include "actors/services/route_finder/service.hpp"

namespace skywire::services::route_finder {

http::router make_rf_routes(caf::actor actor, size_t max_body) {
  http::router r;
  auto fwd = [actor](rf_op op) { return forward_to(actor, op); };
  r.post("/routes", fwd(rf_op::routes), http::route_options{.body_limit = max_body});
  r.get("/health", fwd(rf_op::health), http::route_options{.body_limit = 0});
  r.get("/metrics", fwd(rf_op::metrics), http::route_options{.body_limit = 0});
  return r;
}

expected<rf_handle> spawn_route_finder(caf::actor_system& sys, io::io_runtime& io, rf_config cfg,
                                       std::shared_ptr<graph_source> source) {
  if (!source)
    return make_error(wire_errc::bad_value, "route finder: no graph source");
  source->refresh();
  auto api = std::make_shared<rf_api>(cfg, std::move(source));
  auto o = service_options("rf", cfg, cfg.refresh_interval, rf_error_reply);
  return start_http_service<rf_op>(sys, io, api, std::move(o), [&](caf::actor a) {
    return make_rf_routes(std::move(a), cfg.max_body);
  });
}

} // namespace skywire::services::route_finder
