// The transport discovery service actor and its start function.
//
// spawn_transport_discovery() starts an HTTP server (runtime/http, with its
// admission control, per-source connection caps and deadlines) whose routes
// forward each request, with its responder, to one actor that owns the
// tpd_api (and so the store and the httpauth nonces). The actor answers
// through the responder and sweeps expired entries every sweep_interval.
#pragma once

#include <cstdint>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/services/transport_discovery/api.hpp"
#include "runtime/http/responder.hpp"
#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services::transport_discovery {

/// One HTTP request routed to the actor (local only, never BASP).
struct tpd_call {
  tpd_op op;
  http::request req;
  http::responder res;
};

using tpd_sweep_atom = caf::atom_constant<caf::atom("tpdsweep")>;

/// A running transport discovery: the actor, the bound port, the HTTP server.
struct tpd_handle {
  caf::actor actor;
  uint16_t port = 0;
  std::shared_ptr<http::server> server;

  /// Stops the HTTP server and the actor (idempotent).
  void stop();
};

/// Spawns the actor and starts listening on cfg.host:cfg.port (port 0 =
/// ephemeral, reported in the handle). `store` defaults to the in-memory one.
expected<tpd_handle> spawn_transport_discovery(caf::actor_system& sys, io::io_runtime& io,
                                               tpd_config cfg,
                                               std::unique_ptr<transport_store> store = {});

/// The HTTP routes of the transport discovery, forwarding to `actor`.
http::router make_tpd_routes(caf::actor actor, size_t max_body);

} // namespace skywire::services::transport_discovery

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::transport_discovery::tpd_call)
