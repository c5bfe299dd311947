// Messages of the visor subsystem (local to one process). The requests of
// the CLI are the typed api::visor_actor (messages/api/visor.hpp); what stays
// here is internal to the visor's tree.
#pragma once

#include <memory>

#include <caf/atom.hpp>
#include <caf/type_erased_value.hpp>

#include "messages/api/visor.hpp"
#include "runtime/config/visor_config.hpp"

namespace skywire::visor {

// The visor.* requests (messages/api/visor.hpp), by their short names here.
using pk_atom = api::visor_pk_atom;
using info_atom = api::visor_info_atom;
using actors_atom = api::visor_actors_atom;
using halt_atom = api::visor_halt_atom;
using crash_atom = api::visor_crash_atom;
/// (get_config_atom) -> config_ptr (config_owner)
using get_config_atom = caf::atom_constant<caf::atom("vis_config")>;

using config_ptr = std::shared_ptr<const config::visor_config>;

} // namespace skywire::visor

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::visor::config_ptr)
