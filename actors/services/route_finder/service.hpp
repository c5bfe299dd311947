// The route finder service and its start function: the shared HTTP server
// (runtime/http: admission control, per-source connection caps, deadlines,
// as `svc tpd`) routes each request to one actor owning the rf_api (the
// http_service.hpp pattern); the actor's sweep refreshes the graph. Over
// dmsghttp too: serve_over_dmsg() (dmsg_front.hpp) with the handle's server.
#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/services/http_service.hpp"
#include "actors/services/route_finder/api.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services::route_finder {

using rf_call = http_call<rf_op>;
using rf_handle = http_service_handle;

/// Spawns the actor and listens on cfg.host:cfg.port (0 = ephemeral); asks
/// `source` for its first graph at once (requests before it is built get 500).
expected<rf_handle> spawn_route_finder(caf::actor_system& sys, io::io_runtime& io, rf_config cfg,
                                       std::shared_ptr<graph_source> source);

http::router make_rf_routes(caf::actor actor, size_t max_body);

} // namespace skywire::services::route_finder

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::route_finder::rf_call)
