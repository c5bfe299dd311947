// The actor protocol of a route group inside one process (one actor per
// route, its core on the shard of the route's first transport:
// actors/routing/route_group.hpp and route_group_core.hpp). Local messages only.
//
//   owner -> group  request(group, T, ready_atom)  -> ok_atom once the route
//                   handshake finished (Noise KK through the route), or the
//                   error that failed it (never a plaintext route)
//   owner -> group  request(group, T, write_atom, byte_buffer) -> ok_atom once
//                   the bytes were taken (sealed, sent or queued within the
//                   group's bound); an error when the send queue is full
//                   (route group "queue full": retry after earlier writes were
//                   answered), the group is not open, or it failed
//   group -> owner  (data_atom, byte_buffer)       received plaintext, in order,
//                   one message per received packet
//   owner -> group  (consumed_atom, uint32_t n)    the owner processed n bytes
//                   (the back-pressure path: without it the group stops
//                   reading once its receive bound is reached)
//   owner -> group  (close_atom)                   graceful close (Close, wait
//                   <= 2 s for the peer's Close); the group then quits
//   group -> owner  (closed_atom, caf::error)      the route ended: none = our
//                   close or the peer's clean close; else why
//   any   -> group  (set_owner_atom, caf::actor)   hand the group to another owner
//   any   -> group  request(group, T, score_atom) -> route_group_core_ptr: the
//                   core, for a consumer on the same shard (direct sink, no
//                   actor hop per packet); opaque without its header
//   any   -> group  request(group, T, info_atom) -> route_group_info
// Everything the group sends to its owner has the group as sender.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/api/link.hpp"

namespace skywire::routing {
class route_group_core; // actors/routing/route_group_core.hpp
} // namespace skywire::routing

namespace skywire::api {

/// The data path of one route group (the answer to score_atom); messages
/// carrying it need actors/routing/route_group_core.hpp.
using route_group_core_ptr = std::shared_ptr<routing::route_group_core>;

/// A route group's state for `visor route ls` and the hypervisor.
struct route_group_info {
  std::string phase;  ///< "handshake" | "noise" | "established" | "closing" | "closed" | "failed"
  bool reliable = false;
  uint16_t cell_size = 0;
  int64_t rtt_ns = 0; ///< last Ping round trip (0 before the first Pong)
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t retransmits = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_group_info& x) {
  return f(caf::meta::type_name("skywire::api::route_group_info"), x.phase, x.reliable,
           x.cell_size, x.rtt_ns, x.bytes_in, x.bytes_out, x.retransmits);
}

/// A route group actor.
using route_group_actor =
  caf::typed_actor<caf::replies_to<ready_atom>::with<ok_atom>,
                   caf::replies_to<write_atom, byte_buffer>::with<ok_atom>,
                   caf::reacts_to<consumed_atom, uint32_t>,
                   caf::reacts_to<close_atom>,
                   caf::reacts_to<set_owner_atom, caf::actor>,
                   caf::replies_to<score_atom>::with<route_group_core_ptr>,
                   caf::replies_to<info_atom>::with<route_group_info>>;

} // namespace skywire::api
