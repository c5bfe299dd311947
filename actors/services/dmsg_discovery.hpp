// The dmsg discovery service actor and its start function.
//
// spawn_dmsg_discovery() starts an HTTP server (runtime/http) whose routes
// forward each request, with its responder, to one actor that owns the
// dmsg_discovery_api (and so the store). The actor answers through the
// responder and sweeps expired entries every sweep_interval.
#pragma once

#include <cstdint>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/services/dmsg_discovery_api.hpp"
#include "runtime/http/responder.hpp"
#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services {

/// One HTTP request routed to the discovery actor (local only, never BASP).
struct discovery_call {
  discovery_op op;
  http::request req;
  http::responder res;
};

using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

/// A running discovery: the actor, the bound port, the HTTP server.
struct dmsg_discovery_handle {
  caf::actor actor;
  uint16_t port = 0;
  std::shared_ptr<http::server> server;

  /// Stops the HTTP server and the actor (idempotent).
  void stop();
};

/// Spawns the actor and starts listening on cfg.host:cfg.port (port 0 =
/// ephemeral, reported in the handle). `store` defaults to the in-memory one.
expected<dmsg_discovery_handle> spawn_dmsg_discovery(caf::actor_system& sys, io::io_runtime& io,
                                                     dmsg_discovery_config cfg,
                                                     std::unique_ptr<discovery_store> store = {});

/// The HTTP routes of the discovery, forwarding to `actor`.
http::router make_dmsg_discovery_routes(caf::actor actor, size_t max_body);

} // namespace skywire::services

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::discovery_call)
