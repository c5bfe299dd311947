// config_owner: holds the loaded visor config and hands it out to the
// visor's actors ((get_config_atom) -> config_ptr). The single place that
// will apply config changes made over RPC.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/visor/atoms.hpp"

namespace skywire::visor {

caf::actor spawn_config_owner(caf::actor_system& sys, config_ptr cfg);

} // namespace skywire::visor
