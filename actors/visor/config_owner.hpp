// config_owner: holds the loaded visor config and hands it out to the
// visor's actors ((get_config_atom) -> config_ptr). The single place that
// will apply config changes made over RPC.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/visor/atoms.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::visor {

/// (get_config_atom) -> config_ptr, and debug.crash like every child.
using config_owner_actor = caf::typed_actor<caf::replies_to<get_config_atom>::with<config_ptr>>::
  extend_with<system::fault_injectable_actor>;

config_owner_actor spawn_config_owner(caf::actor_system& sys, config_ptr cfg);

} // namespace skywire::visor
