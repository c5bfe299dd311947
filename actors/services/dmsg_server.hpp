// The dmsg server: a TCP listener that spawns one dmsg_server_session actor
// per admitted connection (handshakes in progress hold a slot of the
// listener's admission control, established sessions one of max_sessions:
// docs/protocol/dmsg-server.md "Admission"), the table of live sessions, the
// discovery entry (registered on start, refreshed every update_interval and,
// throttled, whenever availableSessions changes) and GET /health.
//
//   auto h = spawn_dmsg_server(sys, io, cfg);   // h->port: the bound TCP port
//   ...
//   h->stop();
//
// The server actor is typed (api::dmsg_server_actor, messages/api/dmsg_server.hpp);
// its session actors and their open protocol (dsopen/dsopened between two
// sessions of this server) are internal to the service and untyped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/services/dmsg_server_config.hpp"
#include "actors/services/dmsg_server_registry.hpp"
#include "messages/api/dmsg_server.hpp"
#include "messages/error.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services {

struct dmsg_server_handle {
  api::dmsg_server_actor actor;
  uint16_t port = 0;        ///< bound dmsg TCP port
  uint16_t health_port = 0; ///< bound health port (0 when disabled)
  std::shared_ptr<dmsg_server_registry> registry;
  io::admission_ptr admission; ///< the listener's admission control (counters)

  /// Stops accepting, closes every session, stops the health server and the
  /// actor (idempotent).
  void stop();
};

/// Binds local_address (port 0 = ephemeral) and health_endpoint_address,
/// spawns the server actor, starts accepting. Errors: bad keys, bad
/// addresses, bind failures.
expected<dmsg_server_handle> spawn_dmsg_server(caf::actor_system& sys, io::io_runtime& io,
                                               dmsg_server_config cfg);

} // namespace skywire::services
