// The speed port (49, ours; messages/api/route_manager.hpp has the
// protocol): the visor's sink that acknowledges what a route brings, and the
// test behind `skywire cli visor speed` that dials it, sends the count and the
// bytes (64 KiB writes from the route's io shard, as fast as the group's send
// queue takes them) and times them until the last acknowledgement. Both ends
// run on the shard: the bytes never cross a mailbox, so the figure is the
// route's, not the actors'.
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/routing/route_group_core.hpp"
#include "messages/api/route_manager.hpp"

namespace skywire::routing {

/// The sink on the route's io shard, installed on an accepted group's core
/// before its handshake starts (route_group_core::set_sink): reads the count,
/// counts the bytes after it (each consumed at once: the bytes never cross a
/// mailbox), answers its count after every MiB and at the end. A count of 0
/// or beyond max_speed_mib MiB, or more bytes than announced, closes the
/// route.
void attach_speed_sink(route_group_core& core);

/// The speed port's listener actor: the accepted groups' owner (their data
/// goes to attach_speed_sink on the shard, not here).
caf::behavior route_speed_listener(caf::event_based_actor* self);

/// Spawns (from `spawner`) one speed test: dials `req.remote`'s speed port
/// through `manager`, delivers the JSON result (or the error) to `rp`.
void start_speed_test(caf::event_based_actor* spawner, api::route_manager_actor manager,
                      api::route_speed req, caf::response_promise rp);

} // namespace skywire::routing
