// Messages of the visor subsystem (local to one process). Replies to the
// RPC-style requests are JSON texts (std::string) that the cli_gateway puts
// verbatim into `{"id":…,"result":…}`.
#pragma once

#include <memory>

#include <caf/atom.hpp>
#include <caf/type_erased_value.hpp>

#include "runtime/config/visor_config.hpp"

namespace skywire::visor {

/// (pk_atom) -> std::string: "\"<66 hex>\""
using pk_atom = caf::atom_constant<caf::atom("vis_pk")>;
/// (info_atom) -> std::string: the visor.info object
using info_atom = caf::atom_constant<caf::atom("vis_info")>;
/// (actors_atom) -> std::string: the supervision tree
using actors_atom = caf::atom_constant<caf::atom("vis_actors")>;
/// (halt_atom) -> std::string "\"ok\"", then the visor stops
using halt_atom = caf::atom_constant<caf::atom("vis_halt")>;
/// (crash_atom, std::string child) -> std::string (fault injection only)
using crash_atom = caf::atom_constant<caf::atom("vis_crash")>;
/// (get_config_atom) -> config_ptr (config_owner)
using get_config_atom = caf::atom_constant<caf::atom("vis_config")>;

using config_ptr = std::shared_ptr<const config::visor_config>;

} // namespace skywire::visor

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::visor::config_ptr)
