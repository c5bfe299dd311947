#include "actors/services/transport_discovery/service.hpp"

#include "actors/services/transport_discovery/errors.hpp"

namespace skywire::services::transport_discovery {

http::router make_tpd_routes(caf::actor actor, size_t max_body) {
  http::router r;
  auto fwd = [actor](tpd_op op) { return forward_to(actor, op); };
  http::route_options none{.body_limit = 0};
  http::route_options small{.body_limit = 4096};
  http::route_options body{.body_limit = max_body};
  r.post("/transports/", fwd(tpd_op::register_transports), body);
  // before /transports/{key}: the first route that matches wins
  r.del("/transports/deregister", fwd(tpd_op::deregister), body);
  r.get("/transports/{key}", fwd(tpd_op::get_transport), none);
  r.del("/transports/{key}", fwd(tpd_op::delete_transport), small);
  r.get("/all-transports", fwd(tpd_op::all_transports), none);
  r.post("/statuses", fwd(tpd_op::statuses), small);
  r.get("/security/nonces/{pk}", fwd(tpd_op::nonce), none);
  r.get("/health", fwd(tpd_op::health), none);
  r.get("/metrics", fwd(tpd_op::metrics), none);
  return r;
}

expected<tpd_handle> spawn_transport_discovery(caf::actor_system& sys, io::io_runtime& io,
                                               tpd_config cfg,
                                               std::unique_ptr<transport_store> store) {
  auto api = std::make_shared<tpd_api>(cfg, std::move(store));
  auto o = service_options("tpd", cfg, cfg.sweep_interval, error_reply);
  return start_http_service<tpd_op>(sys, io, api, std::move(o), [&](caf::actor a) {
    return make_tpd_routes(std::move(a), cfg.max_body);
  });
}

} // namespace skywire::services::transport_discovery
