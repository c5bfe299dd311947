// SkyNet forwarding (reference §5.7), a visor feature beside the route
// manager (which spawns it, linked, and lists it as the listener of routing
// port 47):
//  - `cli fwd -p <port>`: the local port is registered (something must
//    accept on 127.0.0.1:<port>); routes to our port 47 asking for it are
//    piped to it (skyfwd_session.hpp), any other port is refused with the
//    reference's error. The registered ports are kept in
//    <local_path>/skyfwd-ports.json (skyfwd_ports.hpp).
//  - `cli rev -k <pk> -r <rport> -p <lport>`: a TCP listener on
//    127.0.0.1:<lport> (the reference: every interface); the remote is asked
//    once at once (a probe route) so that a refusal is the command's error;
//    then every accepted connection gets its own route to <pk>:47 and pipe.
// Requests: messages/api/skyfwd.hpp.
#pragma once

#include <filesystem>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "messages/api/route_manager.hpp"
#include "messages/api/skyfwd.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::routing {

struct skyfwd_config {
  io::io_runtime* io = nullptr;
  /// Where skyfwd-ports.json lives ("" = the registered ports are not kept).
  std::filesystem::path local_path;
  std::string listen_host = "127.0.0.1"; ///< of the rev listeners
};

/// Spawns the forwarding actor; it listens on port 47 of `routes` itself.
api::skyfwd_actor spawn_skyfwd(caf::actor_system& sys, api::route_manager_actor routes,
                               skyfwd_config cfg);

} // namespace skywire::routing
