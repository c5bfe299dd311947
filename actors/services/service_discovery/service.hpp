// The service discovery service and its start function: an HTTP server
// (runtime/http: admission control, per-source connection caps, deadlines)
// whose routes forward each request to one actor owning the sd_api, which
// also sweeps expired entries every sweep_interval (http_service.hpp).
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/services/http_service.hpp"
#include "actors/services/service_discovery/api.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services::service_discovery {

/// One HTTP request routed to the actor (local only, never BASP).
using sd_call = http_call<sd_op>;

/// Spawns the actor and starts listening on cfg.host:cfg.port (port 0 =
/// ephemeral, reported in the handle).
expected<http_service_handle> spawn_service_discovery(caf::actor_system& sys, io::io_runtime& io,
                                                      sd_config cfg);

/// The HTTP routes of the service discovery, forwarding to `actor`.
http::router make_sd_routes(caf::actor actor, size_t max_body);

} // namespace skywire::services::service_discovery

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::service_discovery::sd_call)
