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
//
// More paths (reliable groups only): add_route_path() puts the edge rules of
// another route with the same descriptor under the same core (multipath, or
// the new path of a re-established route, which replaces the old ones). The
// core reports a path it lost (dead or silent) through `on_path_lost`; a
// path's consume rule that goes (expired, removed) drops that path, and the
// group is closed only when it was the last one.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
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

namespace detail {
struct shard_cell;
} // namespace detail

/// A route group opened here, with what adding paths to it needs.
struct route_handle {
  api::route_group_actor actor;
  route_group_core_ptr core;
  std::shared_ptr<detail::shard_cell> cell; ///< the core's shard
  /// Runs fn on the core's shard.
  void post(std::function<void()> fn) const;
};

/// Told (on the core's shard) that the group `group` lost the path of its
/// forward rule `fwd` (route_group_core::path_fn).
using path_lost_fn = std::function<void(const caf::actor& group, route_id fwd)>;

/// Opens the route group of edge rules `e` (already installed in the
/// router's table): initiator at the dialer, responder at the destination.
/// `owner` receives the group's data and end (messages/api/route_group.hpp).
/// Errors: the forward rule's transport is not up here.
expected<route_handle> open_route_group(const route_endpoint_env& env, const edge_rules& e,
                                        route_group_core::role side, caf::actor owner,
                                        route_endpoint_counters* counters = nullptr,
                                        path_lost_fn on_path_lost = {},
                                        std::function<void(route_group_core&)> attach = {});

/// Adds the path of edge rules `e` (already installed) to the open group
/// `h`: its consume rule's packets go to the group's core, its forward rule
/// carries its share. `replace`: the group's other paths are dropped (a
/// re-established one-path route). The core refuses it unless it is
/// established in reliable mode: then the path's endpoint is cleared again
/// and `refused` runs (on the shard) to remove its rules.
void add_route_path(const route_endpoint_env& env, const route_handle& h, const edge_rules& e,
                    bool replace, std::function<void()> refused = {},
                    route_endpoint_counters* counters = nullptr);

} // namespace skywire::routing
