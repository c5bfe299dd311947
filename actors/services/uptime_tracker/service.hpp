// The uptime tracker service and its start function: an HTTP server
// (runtime/http: admission control, per-source connection caps, deadlines)
// whose routes forward each request to one actor owning the ut_api, which
// also forgets old days every sweep_interval (http_service.hpp).
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/services/http_service.hpp"
#include "actors/services/uptime_tracker/api.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services::uptime_tracker {

/// One HTTP request routed to the actor (local only, never BASP).
using ut_call = http_call<ut_op>;

/// Spawns the actor and starts listening on cfg.host:cfg.port (port 0 =
/// ephemeral, reported in the handle).
expected<http_service_handle> spawn_uptime_tracker(caf::actor_system& sys, io::io_runtime& io,
                                                   ut_config cfg);

/// The HTTP routes of the uptime tracker, forwarding to `actor`.
http::router make_ut_routes(caf::actor actor);

} // namespace skywire::services::uptime_tracker

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::uptime_tracker::ut_call)
