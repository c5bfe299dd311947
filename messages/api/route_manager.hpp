// The visor's routes (actors/routing/route_manager): dialing a route to a
// remote visor's routing port (reference §4.7) and listening on local ones.
// Local messages only.
//
//   request(m, T, rt_dial_atom, route_dial)          -> route_group_actor once
//       the route is set up and its handshake done (the caller becomes its
//       owner), or the error naming the step that failed (transport, route
//       finder, setup node, handshake). A reliable group whose path dies
//       (its transport went down, or it went silent) is set up again on
//       another path within the manager's re-establishment time, the stream
//       unbroken; else the group ends with the error (closed_atom)
//   request(m, T, rt_listen_atom, uint16_t port, caf::actor listener) -> ok_atom
//       routes set up toward `port` are handed to `listener` as
//       (rt_accept_atom, route_group_actor, public_key remote, uint16_t port)
//       (the listener becomes the group's owner); until the listener
//       terminates. A second listener on a port is refused.
//   request(m, T, rt_ping_atom, route_ping)           -> JSON text
//       {"remote","hops","setup_ms","rtt_us":[…],"min_us","avg_us","max_us"}:
//       a route to the remote's ping port (48, or `port`), `count` echoes of `size`
//       bytes, the route closed after
//   request(m, T, rt_speed_atom, route_speed)         -> JSON text
//       {"remote","min_hops","setup_ms","bytes","seconds","mb_s"}: a route to
//       the remote's speed port (49), `mib` MiB written in 64 KiB writes, timed
//       from the first write until the remote acknowledged the last byte; the
//       route closed after
//   request(m, T, rt_routes_atom)                     -> JSON text: an array
//       with one object per open route group (dialed or accepted):
//       {"remote","local_port","remote_port","side","phase","reliable",
//        "cell_size","rtt_us","bytes_in","bytes_out","retransmits",
//        "forward_rid","consume_rid"}
//
// The speed port's protocol (ours; a Go visor has no speed port): the dialer
// sends an 8-byte big-endian byte count N, then N bytes; the listener
// answers with its 8-byte big-endian count of the N bytes received after
// each MiB and once all N arrived; it closes the route when N is reached.
#pragma once

#include <chrono>
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
using rt_speed_atom = caf::atom_constant<caf::atom("rt_speed")>;
using rt_routes_atom = caf::atom_constant<caf::atom("rt_routes")>;
using rt_service_atom = caf::atom_constant<caf::atom("rt_svc")>;

/// A route to dial.
struct route_dial {
  public_key remote;
  uint16_t remote_port = 0;
  uint16_t local_port = 0; ///< 0: an ephemeral one
  uint16_t min_hops = 0;   ///< 0: routing.min_hops of the config
  uint64_t timeout_ms = 0; ///< 0: the manager's (20 s)
  /// Paths of the route (reliable groups between two of ours): 2 or more
  /// sets up as many paths, as disjoint as the route finder allows, after
  /// the first (the dial answers once the first is up). 0 and 1: one.
  uint8_t paths = 1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_dial& x) {
  return f(caf::meta::type_name("skywire::api::route_dial"), x.remote, x.remote_port,
           x.local_port, x.min_hops, x.timeout_ms, x.paths);
}

/// The routing port of the visor's echo (reference §5.7: sky-ping).
inline constexpr uint16_t ping_port = 48;

/// A ping over a route (`skywire cli visor ping`).
struct route_ping {
  public_key remote;
  uint32_t count = 4;
  uint32_t size = 32; ///< bytes per echo
  uint16_t min_hops = 0;
  uint16_t port = ping_port; ///< the remote's routing port: an echo (48, or an `echo` app)
  uint8_t paths = 1;         ///< as route_dial::paths
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_ping& x) {
  return f(caf::meta::type_name("skywire::api::route_ping"), x.remote, x.count, x.size,
           x.min_hops, x.port, x.paths);
}

/// A throughput test over a route (`skywire cli visor speed`).
struct route_speed {
  public_key remote;
  uint32_t mib = 64; ///< MiB to send, 1..max_speed_mib
  uint16_t min_hops = 0;
  uint8_t paths = 1; ///< as route_dial::paths
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_speed& x) {
  return f(caf::meta::type_name("skywire::api::route_speed"), x.remote, x.mib, x.min_hops,
           x.paths);
}

/// Most paths `visor ping` and `visor speed` ask for.
inline constexpr uint8_t max_test_paths = 4;

/// The routing port of the visor's speed-test sink (ours; see above).
inline constexpr uint16_t speed_port = 49;
inline constexpr uint32_t max_speed_mib = 16 * 1024;
/// How long a speed test of `mib` MiB may take, for whoever waits on it: the
/// dial's deadline (20 s) and a margin, then at least 10 MiB/s.
inline std::chrono::milliseconds speed_wait(uint32_t mib) {
  return std::chrono::milliseconds{25'000 + int64_t{mib} * 100};
}

using route_manager_actor =
  caf::typed_actor<caf::replies_to<rt_dial_atom, route_dial>::with<route_group_actor>,
                   caf::replies_to<rt_listen_atom, uint16_t, caf::actor>::with<ok_atom>,
                   caf::replies_to<rt_ping_atom, route_ping>::with<std::string>,
                   caf::replies_to<rt_speed_atom, route_speed>::with<std::string>,
                   caf::replies_to<rt_routes_atom>::with<std::string>,
                   caf::replies_to<rt_service_atom, uint16_t>::with<caf::actor>>;

} // namespace skywire::api
