#include "actors/services/dmsg_discovery.hpp"

namespace skywire::services {

http::router make_dmsg_discovery_routes(caf::actor actor, size_t max_body) {
  http::router r;
  auto fwd = [actor](discovery_op op) { return forward_to(actor, op); };
  http::route_options small{.body_limit = 0};
  http::route_options body{.body_limit = max_body};
  r.get("/dmsg-discovery/entry/{pk}", fwd(discovery_op::get_entry), small);
  r.post("/dmsg-discovery/entry/", fwd(discovery_op::post_entry), body);
  r.post("/dmsg-discovery/entry/{pk}", fwd(discovery_op::post_entry), body);
  r.del("/dmsg-discovery/entry", fwd(discovery_op::delete_entry), body);
  r.del("/dmsg-discovery/entry/", fwd(discovery_op::delete_entry), body);
  r.get("/dmsg-discovery/entries", fwd(discovery_op::entries), small);
  r.get("/dmsg-discovery/visorEntries", fwd(discovery_op::visor_entries), small);
  r.get("/dmsg-discovery/available_servers", fwd(discovery_op::available_servers), small);
  r.get("/dmsg-discovery/all_servers", fwd(discovery_op::all_servers), small);
  r.del("/dmsg-discovery/deregister", fwd(discovery_op::deregister), body);
  r.get("/health", fwd(discovery_op::health), small);
  r.get("/metrics", fwd(discovery_op::metrics), small);
  return r;
}

expected<dmsg_discovery_handle> spawn_dmsg_discovery(caf::actor_system& sys, io::io_runtime& io,
                                                     dmsg_discovery_config cfg,
                                                     std::unique_ptr<discovery_store> store) {
  auto api = std::make_shared<dmsg_discovery_api>(cfg, std::move(store));
  auto o = service_options("dmsg_discovery", cfg, cfg.sweep_interval);
  return start_http_service<discovery_op>(sys, io, api, std::move(o), [&](caf::actor a) {
    return make_dmsg_discovery_routes(std::move(a), cfg.max_body);
  });
}

} // namespace skywire::services
