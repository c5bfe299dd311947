// One end of a route, put together from its edge rules (reference §4.4,
// §4.6 step 6/7): the route group's core (route_group_core.hpp) on the io
// shard of the route's first transport, its packets coming from the router
// (router_core::set_endpoint on the consume rule's key) and leaving through
// the forward rule (router_core::send), and the route group actor beside it.
//
// The consume packets of a route arrive on the link of the path's last
// transport, which is usually the first transport (paths reversed), but need
// not be: a packet that the router hands over on another thread is copied
// and posted onto the core's shard (counted), so the core is only ever
// touched on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/routing/route_group_core.hpp"
#include "actors/routing/router_state.hpp"
#include "messages/api/route_group.hpp"
#include "messages/error.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::routing {

struct route_endpoint_env {
  caf::actor_system* sys = nullptr;
  router_state_ptr router;
  crypto::keypair local;
  /// The extensions we offer (a Go peer uses none).
  wire::routing::group_options offer;
  route_group_core::timing timing;
};

/// Packets posted across shards (consume packets that came on another link).
struct route_endpoint_counters {
  std::atomic<uint64_t> cross_shard{0};
};

/// Opens the route group of edge rules `e` (already installed in the
/// router's table): initiator at the dialer, responder at the destination.
/// `owner` receives the group's data and end (messages/api/route_group.hpp).
/// Errors: the forward rule's transport is not up here.
expected<api::route_group_actor> open_route_group(const route_endpoint_env& env,
                                                  const edge_rules& e,
                                                  route_group_core::role side, caf::actor owner,
                                                  route_endpoint_counters* counters = nullptr);

} // namespace skywire::routing
