// The visor's routes (messages/api/route_manager.hpp): the dial of §4.7 —
// the route-setup hook (a transport to the remote, unless the route must
// have 2 hops or more), the route finder (retried every 500 ms for up to
// 2 s; a 404 is final), the setup node (actors/routing/setup_client), the
// edge rules installed, the route group opened (route_endpoint.hpp) and its
// handshake awaited — each failure names its step. Routes set up toward
// this visor (the setup gateway's edge rules) go to the listener of their
// port; none: the setup is refused (the node answers the dialer with a
// failure). A route group that ends takes its rules and endpoint with it.
// The visor's echo on the ping port (48) answers `cli visor ping`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/routing/rf_client.hpp"
#include "actors/routing/route_endpoint.hpp"
#include "actors/routing/router_state.hpp"
#include "messages/api/route_manager.hpp"

namespace skywire::routing {

struct route_manager_config {
  route_endpoint_env env;
  /// Answers tp_list_atom / tp_types_atom / tp_add_atom (the visor, which
  /// hands them to its transport manager).
  caf::actor transports;
  std::optional<rf_client> rf; ///< none: dials fail at the route finder step
  caf::actor setup;            ///< setup_client (none: dials fail at the setup step)
  uint16_t min_hops = 0;       ///< routing.min_hops
  uint16_t max_hops = 50;      ///< what the reference asks the route finder for
  std::chrono::nanoseconds keep_alive = std::chrono::seconds{30};
  std::chrono::milliseconds dial_timeout{20'000};
  std::chrono::milliseconds rf_retry{500};
  std::chrono::milliseconds rf_give_up{2'000};
  bool echo = true; ///< listen on the ping port
  /// Actors the manager starts linked to itself (they end together), given
  /// its handle: the visor's services on routing ports (skyfwd on 47), which
  /// listen through rt_listen and are found again with rt_service_atom.
  std::vector<std::function<caf::actor(api::route_manager_actor)>> services;
};

api::route_manager_actor spawn_route_manager(caf::actor_system& sys, route_manager_config cfg);

/// The echo of the ping port as a listener behaviour (rt_listen_atom): every
/// route handed to it is owned by it, and every byte a route brings goes back
/// on that route (credit returned once written). Also the `echo` app.
caf::behavior route_echo(caf::event_based_actor* self);

} // namespace skywire::routing
