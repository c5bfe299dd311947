// The dmsg discovery service and its start function.
//
// spawn_dmsg_discovery() starts an HTTP server (runtime/http) whose routes
// forward each request, with its responder, to one actor that owns the
// dmsg_discovery_api (and so the store). The actor answers through the
// responder and sweeps expired entries every sweep_interval
// (http_service.hpp).
#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/services/dmsg_discovery_api.hpp"
#include "actors/services/http_service.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services {

/// One HTTP request routed to the discovery actor (local only, never BASP).
using discovery_call = http_call<discovery_op>;

/// A running discovery: the actor, the bound port, the HTTP server.
using dmsg_discovery_handle = http_service_handle;

/// Spawns the actor and starts listening on cfg.host:cfg.port (port 0 =
/// ephemeral, reported in the handle). `store` defaults to the in-memory one.
expected<dmsg_discovery_handle> spawn_dmsg_discovery(caf::actor_system& sys, io::io_runtime& io,
                                                     dmsg_discovery_config cfg,
                                                     std::unique_ptr<discovery_store> store = {});

/// The HTTP routes of the discovery, forwarding to `actor`.
http::router make_dmsg_discovery_routes(caf::actor actor, size_t max_body);

} // namespace skywire::services

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::discovery_call)
