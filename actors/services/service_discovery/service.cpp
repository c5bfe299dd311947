#include "actors/services/service_discovery/service.hpp"

#include "actors/services/service_discovery/errors.hpp"

namespace skywire::services::service_discovery {

http::router make_sd_routes(caf::actor actor, size_t max_body) {
  http::router r;
  auto fwd = [actor](sd_op op) { return forward_to(actor, op); };
  http::route_options none{.body_limit = 0};
  http::route_options small{.body_limit = 4096};
  http::route_options body{.body_limit = max_body};
  r.get("/api/services", fwd(sd_op::list), none);
  r.post("/api/services", fwd(sd_op::register_), body);
  // before /api/services/{addr}: the first route that matches wins
  r.del("/api/services/deregister/{type}", fwd(sd_op::deregister), body);
  r.get("/api/services/{addr}", fwd(sd_op::get_one), none);
  r.del("/api/services/{addr}", fwd(sd_op::remove), small);
  r.get("/security/nonces/{pk}", fwd(sd_op::nonce), none);
  r.get("/health", fwd(sd_op::health), none);
  r.get("/metrics", fwd(sd_op::metrics), none);
  return r;
}

expected<http_service_handle> spawn_service_discovery(caf::actor_system& sys, io::io_runtime& io,
                                                      sd_config cfg) {
  auto api = std::make_shared<sd_api>(cfg);
  auto o = service_options("sd", cfg, cfg.sweep_interval, error_reply);
  return start_http_service<sd_op>(sys, io, api, std::move(o), [&](caf::actor a) {
    return make_sd_routes(std::move(a), cfg.max_body);
  });
}

} // namespace skywire::services::service_discovery
