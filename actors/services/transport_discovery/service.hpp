// The transport discovery service and its start function.
//
// spawn_transport_discovery() starts an HTTP server (runtime/http, with its
// admission control, per-source connection caps and deadlines) whose routes
// forward each request, with its responder, to one actor that owns the
// tpd_api (and so the store and the httpauth nonces). The actor answers
// through the responder and sweeps expired entries every sweep_interval
// (http_service.hpp).
#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/services/http_service.hpp"
#include "actors/services/transport_discovery/api.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services::transport_discovery {

/// One HTTP request routed to the actor (local only, never BASP).
using tpd_call = http_call<tpd_op>;

/// A running transport discovery: the actor, the bound port, the HTTP server.
using tpd_handle = http_service_handle;

/// Spawns the actor and starts listening on cfg.host:cfg.port (port 0 =
/// ephemeral, reported in the handle). `store` defaults to the in-memory one.
expected<tpd_handle> spawn_transport_discovery(caf::actor_system& sys, io::io_runtime& io,
                                               tpd_config cfg,
                                               std::unique_ptr<transport_store> store = {});

/// The HTTP routes of the transport discovery, forwarding to `actor`.
http::router make_tpd_routes(caf::actor actor, size_t max_body);

} // namespace skywire::services::transport_discovery

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::transport_discovery::tpd_call)
