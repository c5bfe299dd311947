// The visor's router actor (thin): it holds the router's shared state
// (router_state.hpp: the pool, the rule table, the data plane on the io
// shards), runs the 5 s sweep of expired rules (§4.3) and answers the
// CLI's rule requests (messages/api/routing.hpp) and the supervisor's
// status request (`visor info` → "routing": rules, forwarding counters,
// drops by kind). Packets never pass through it.
#pragma once

#include <chrono>

#include <caf/actor_system.hpp>

#include "actors/routing/router_state.hpp"
#include "messages/api/routing.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::routing {

using router_actor = api::routing_control_actor::extend_with<system::info_provider_actor>;

struct router_config {
  std::chrono::milliseconds sweep_every{5'000};
};

router_actor spawn_router(caf::actor_system& sys, router_state_ptr state, router_config cfg = {});

} // namespace skywire::routing
