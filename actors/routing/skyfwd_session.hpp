// One sky-forwarding route (reference §5.7, messages/wire/apps/skyfwd.hpp):
// the opening exchange, then a route_pipe between the route and a local TCP
// connection.
//  - serve: a route a remote visor set up to our port 47. Its first message
//    names the port; unless it is registered (skyfwd_ports) and something
//    accepts on 127.0.0.1:<port>, the answer is the reference's error and
//    the route closes; else {} and the bytes flow.
//  - dial: a local connection accepted by a `rev` listener (or none: a
//    probe). Dials <pk>:47, asks for the remote port, waits for the answer
//    (10 s); a refusal closes the local connection; a probe reports the
//    answer to `report` and ends.
// Either way the actor ends when both sides have.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>

#include "actors/routing/skyfwd_ports.hpp"
#include "messages/api/route_manager.hpp"
#include "messages/ids.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::routing {

/// probe -> report: (skyfwd_probe_atom, uint64_t probe id, std::string error) ("" = accepted)
using skyfwd_probe_atom = caf::atom_constant<caf::atom("fwd_probe")>;

/// Serves an accepted route; the caller hands the group to the returned actor
/// (set_owner_atom) and forwards what the group sent before that.
caf::actor spawn_skyfwd_serve(caf::actor_system& sys, io::io_runtime& io,
                              api::route_group_actor group, public_key remote,
                              skyfwd_ports_ptr ports);

struct skyfwd_dial {
  api::route_manager_actor routes;
  public_key remote;
  uint16_t remote_port = 0;
  io::stream_connection_ptr conn; ///< null: a probe
  caf::actor report;              ///< the probe's answer goes here
  uint64_t probe_id = 0;
};

caf::actor spawn_skyfwd_dial(caf::actor_system& sys, skyfwd_dial d);

} // namespace skywire::routing
