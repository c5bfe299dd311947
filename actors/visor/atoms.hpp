// Messages of the visor subsystem (local to one process). The requests of
// the CLI are the typed api::visor_actor (messages/api/visor.hpp); what stays
// here is internal to the visor's tree.
#pragma once

#include <atomic>
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
/// (cfg_app_autostart_atom, app name, bool) -> config_ptr (config_owner):
/// launcher.apps[name].auto_start written to the config file, then applied
using cfg_app_autostart_atom = caf::atom_constant<caf::atom("cfg_apauto")>;
/// (cfg_app_flags_atom, app name, built-in app, {flag, value, …}) ->
/// config_ptr (config_owner): launcher.apps[name] with those flags set in
/// its args (created to run the built-in app when absent:
/// apps::app_with_flags), written to the config file, then applied
using cfg_app_flags_atom = caf::atom_constant<caf::atom("cfg_apflag")>;

using config_ptr = std::shared_ptr<const config::visor_config>;

/// The latest config of a visor, as its config_owner last changed it: read
/// by children that are (re)started after a change (the launcher), and by
/// the config_owner itself after its own restart.
using config_cell = std::atomic<config_ptr>;
using config_cell_ptr = std::shared_ptr<config_cell>;

} // namespace skywire::visor

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::visor::config_ptr)
