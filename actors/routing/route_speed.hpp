// The speed port (49, ours; messages/api/route_manager.hpp has the
// protocol): the visor's sink that acknowledges what a route brings, and the
// test behind `skywire cli visor speed` that dials it, sends the count and the
// bytes (16 writes of 64 KiB in flight; a full send queue is retried 1 ms
// later) and times them until the last acknowledgement.
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "messages/api/route_manager.hpp"

namespace skywire::routing {

/// The sink as a listener behaviour (rt_listen_atom on api::speed_port):
/// reads the count, counts the bytes after it, answers its count after every
/// MiB and at the end. A count of 0 or beyond max_speed_mib MiB, or more
/// bytes than announced, closes the route.
caf::behavior route_speed_sink(caf::event_based_actor* self);

/// Spawns (from `spawner`) one speed test: dials `req.remote`'s speed port
/// through `manager`, delivers the JSON result (or the error) to `rp`.
void start_speed_test(caf::event_based_actor* spawner, api::route_manager_actor manager,
                      api::route_speed req, caf::response_promise rp);

} // namespace skywire::routing
