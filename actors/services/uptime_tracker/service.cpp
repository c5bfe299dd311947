#include "actors/services/uptime_tracker/service.hpp"

namespace skywire::services::uptime_tracker {

http::router make_ut_routes(caf::actor actor) {
  http::router r;
  auto fwd = [actor](ut_op op) { return forward_to(actor, op); };
  http::route_options none{.body_limit = 0};
  r.get("/v4/update", fwd(ut_op::update), none);
  r.get("/update", fwd(ut_op::gone), none);
  r.get("/v2/update", fwd(ut_op::gone), none);
  r.get("/v3/update", fwd(ut_op::gone), none);
  r.get("/uptimes", fwd(ut_op::uptimes), none);
  r.get("/uptime/{pk}/timeline", fwd(ut_op::timeline), none);
  r.get("/uptime/{pk}", fwd(ut_op::uptime), none);
  r.get("/visors", fwd(ut_op::visors), none);
  r.get("/security/nonces/{pk}", fwd(ut_op::nonce), none);
  r.get("/health", fwd(ut_op::health), none);
  r.get("/metrics", fwd(ut_op::metrics), none);
  return r;
}

expected<http_service_handle> spawn_uptime_tracker(caf::actor_system& sys, io::io_runtime& io,
                                                   ut_config cfg) {
  auto api = std::make_shared<ut_api>(cfg);
  auto o = service_options("ut", cfg, cfg.sweep_interval, error_object_reply);
  return start_http_service<ut_op>(sys, io, api, std::move(o),
                                   [](caf::actor a) { return make_ut_routes(std::move(a)); });
}

} // namespace skywire::services::uptime_tracker
