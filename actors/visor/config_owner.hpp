// config_owner: holds the loaded visor config and hands it out to the
// visor's actors ((get_config_atom) -> config_ptr). The single place that
// applies config changes made over RPC: each is written to the config file
// first (atomically: runtime/config/file_update.hpp; the rest of the file
// as it was), then to the config in memory, whose new version it answers.
// A config not read from a file (source_path "") changes in memory only.
#pragma once

#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/visor/atoms.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::visor {

/// (get_config_atom) -> config_ptr, the setters, and debug.crash like every
/// child.
using config_owner_actor = caf::typed_actor<
  caf::replies_to<get_config_atom>::with<config_ptr>,
  caf::replies_to<cfg_app_autostart_atom, std::string, bool>::with<config_ptr>,
  caf::replies_to<cfg_app_flags_atom, std::string, std::string, std::vector<std::string>>::with<
    config_ptr>>::
  extend_with<system::fault_injectable_actor>;

/// Starts from latest->load(); every change is stored back into `latest`.
config_owner_actor spawn_config_owner(caf::actor_system& sys, config_cell_ptr latest);

} // namespace skywire::visor
