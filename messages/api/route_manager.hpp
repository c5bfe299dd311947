// The visor's routes (actors/routing/route_manager): dialing a route to a
// remote visor's routing port (reference §4.7) and listening on local ones.
// Local messages only.
//
//   request(m, T, rt_dial_atom, route_dial)          -> route_group_actor once
//       the route is set up and its handshake done (the caller becomes its
//       owner), or the error naming the step that failed (transport, route
//       finder, setup node, handshake)
//   request(m, T, rt_listen_atom, uint16_t port, caf::actor listener) -> ok_atom
//       routes set up toward `port` are handed to `listener` as
//       (rt_accept_atom, route_group_actor, public_key remote, uint16_t port)
//       (the listener becomes the group's owner); until the listener
//       terminates. A second listener on a port is refused.
//   request(m, T, rt_ping_atom, route_ping)           -> JSON text
//       {"remote","hops","setup_ms","rtt_us":[…],"min_us","avg_us","max_us"}:
//       a route to the remote's ping port (48), `count` echoes of `size`
//       bytes, the route closed after
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/api/route_group.hpp"
#include "messages/ids.hpp"

namespace skywire::api {

using rt_dial_atom = caf::atom_constant<caf::atom("rt_dial")>;
using rt_listen_atom = caf::atom_constant<caf::atom("rt_listen")>;
using rt_accept_atom = caf::atom_constant<caf::atom("rt_accept")>;
using rt_ping_atom = caf::atom_constant<caf::atom("rt_ping")>;
using rt_service_atom = caf::atom_constant<caf::atom("rt_svc")>;

/// A route to dial.
struct route_dial {
  public_key remote;
  uint16_t remote_port = 0;
  uint16_t local_port = 0; ///< 0: an ephemeral one
  uint16_t min_hops = 0;   ///< 0: routing.min_hops of the config
  uint64_t timeout_ms = 0; ///< 0: the manager's (20 s)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_dial& x) {
  return f(caf::meta::type_name("skywire::api::route_dial"), x.remote, x.remote_port,
           x.local_port, x.min_hops, x.timeout_ms);
}

/// A ping over a route (`skywire cli visor ping`).
struct route_ping {
  public_key remote;
  uint32_t count = 4;
  uint32_t size = 32; ///< bytes per echo
  uint16_t min_hops = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_ping& x) {
  return f(caf::meta::type_name("skywire::api::route_ping"), x.remote, x.count, x.size,
           x.min_hops);
}

/// The routing port of the visor's echo (reference §5.7: sky-ping).
inline constexpr uint16_t ping_port = 48;

using route_manager_actor =
  caf::typed_actor<caf::replies_to<rt_dial_atom, route_dial>::with<route_group_actor>,
                   caf::replies_to<rt_listen_atom, uint16_t, caf::actor>::with<ok_atom>,
                   caf::replies_to<rt_ping_atom, route_ping>::with<std::string>,
                   caf::replies_to<rt_service_atom, uint16_t>::with<caf::actor>>;

} // namespace skywire::api
