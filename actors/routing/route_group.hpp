// The route group actor (messages/api/route_group.hpp): the thin owner-facing
// side of one route. The data path is the core (route_group_core.hpp), which
// runs on the shard of the route's first transport; the actor only hops onto
// that shard (post) to call it, and the core's callbacks send to the owner
// and to the actor from there. The core is released on its shard when the
// actor ends.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <caf/response_promise.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/routing/route_group_core.hpp"
#include "messages/api/route_group.hpp"

namespace skywire::routing {

using rgdone_atom = caf::atom_constant<caf::atom("rgdone")>;
using rgready_atom = caf::atom_constant<caf::atom("rgready")>;

/// The actor's full interface: the public one and what its core sends from the shard.
using route_group_interface = api::route_group_actor::extend<
  caf::reacts_to<rgready_atom>,           ///< core: the handshake finished
  caf::reacts_to<rgdone_atom, caf::error> ///< core: the route ended (none = cleanly)
  >;

struct route_group_params {
  route_group_core_ptr core;
  /// Runs fn on the core's shard (the first transport's link post).
  std::function<void(std::function<void()>)> post;
  caf::actor owner;
  bool start = true; ///< start the handshake at once (else the router starts the core)
  /// Run on the shard before the start, after the owner's sink was set: a
  /// consumer that takes the data on the shard itself (the speed port).
  std::function<void(route_group_core&)> attach;
};

class route_group_actor : public route_group_interface::base {
public:
  route_group_actor(caf::actor_config& cfg, route_group_params params);

  behavior_type make_behavior() override;
  void on_exit() override;
  const char* name() const override { return "route_group"; }

private:
  /// Shared with the shard: who gets the data (only touched on the shard).
  struct shard_side {
    caf::actor owner;
    caf::actor self;
  };

  void on_done(caf::error err);

  route_group_core_ptr core_;
  std::function<void(std::function<void()>)> post_;
  std::shared_ptr<shard_side> side_ = std::make_shared<shard_side>();
  caf::actor owner_; ///< actor-side copy (for closed_atom)
  bool ready_ = false;
  bool done_ = false;
  caf::error result_;
  std::vector<caf::typed_response_promise<api::ok_atom>> waiting_ready_;
};

} // namespace skywire::routing
