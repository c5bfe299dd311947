// The control interface of a visor (actors/visor/visor): the requests the
// CLI gateway forwards from `skywire cli` (line-delimited JSON over cli_addr).
// Local messages only. Every answer is a JSON text (std::string) that the
// gateway puts verbatim into {"id":…,"result":…}; failures are errors.
//
//   request(visor, T, pk_atom)                  -> "\"<66 hex>\""
//   request(visor, T, info_atom)                -> the visor.info object
//   request(visor, T, actors_atom)              -> the supervision tree
//   request(visor, T, halt_atom)                -> "\"ok\"", then the visor stops
//   request(visor, T, crash_atom, child name)   -> "\"injected\"" | error
//                                                  (fault injection only)
//
// and the transport manager's control requests (api::transport_control_actor,
// messages/api/transport.hpp), which the visor hands to its transport
// manager (an error when the visor runs none); their answers are typed and
// the gateway writes them as JSON; and the router's rule requests
// (api::routing_control_actor, messages/api/routing.hpp), handed to the
// router (an error when the visor runs none); and a ping, a speed test and
// the list of route groups (rt_ping_atom, rt_speed_atom, rt_routes_atom,
// messages/api/route_manager.hpp), handed to its routes; and
// the app launcher's requests (api::launcher_control_actor,
// messages/api/launcher.hpp), handed to its launcher (app_autostart_atom
// writes the config file first, through the config_owner); and SkyNet
// forwarding (api::skyfwd_actor, messages/api/skyfwd.hpp), handed
// to the skyfwd actor beside the route manager; and the reward address
// (reference §6.5: <local_path>/reward.txt, written atomically):
//   request(visor, T, reward_get_atom)               -> "\"<address>\"" ("" when unset)
//   request(visor, T, reward_set_atom, address)      -> "\"<address>\"" (a valid
//                                                       skycoin address, else an error)
//   request(visor, T, reward_delete_atom)            -> "\"OK\""
// and app_run_with_atom below (StartSkysocksClient).
//
// Besides these, the visor answers what its children ask (get_config_atom,
// actors/visor/atoms.hpp) and its own timers; its full interface is in
// actors/visor/visor.hpp.
#pragma once

#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/api/launcher.hpp"
#include "messages/api/route_manager.hpp"
#include "messages/api/routing.hpp"
#include "messages/api/skyfwd.hpp"
#include "messages/api/transport.hpp"

namespace skywire::api {

using visor_pk_atom = caf::atom_constant<caf::atom("vis_pk")>;
using visor_info_atom = caf::atom_constant<caf::atom("vis_info")>;
using visor_actors_atom = caf::atom_constant<caf::atom("vis_actors")>;
using visor_halt_atom = caf::atom_constant<caf::atom("vis_halt")>;
using visor_crash_atom = caf::atom_constant<caf::atom("vis_crash")>;
using reward_get_atom = caf::atom_constant<caf::atom("rw_get")>;
using reward_set_atom = caf::atom_constant<caf::atom("rw_set")>;
using reward_delete_atom = caf::atom_constant<caf::atom("rw_del")>;
/// (app_run_with_atom, name, built-in app, {flag, value, …}) -> app_summary:
/// launcher.apps[name] (created to run the app when absent) is stopped if
/// up, gets those flags in its args (written to the config file first,
/// atomically), and is started; the reference's StartSkysocksClient.
using app_run_with_atom = caf::atom_constant<caf::atom("app_runwth")>;

using visor_actor =
  caf::typed_actor<caf::replies_to<visor_pk_atom>::with<std::string>,
                   caf::replies_to<visor_info_atom>::with<std::string>,
                   caf::replies_to<visor_actors_atom>::with<std::string>,
                   caf::replies_to<visor_halt_atom>::with<std::string>,
                   caf::replies_to<visor_crash_atom, std::string>::with<std::string>>::
    extend_with<transport_control_actor>::extend_with<routing_control_actor>::extend_with<
      skyfwd_actor>::extend<caf::replies_to<rt_ping_atom, route_ping>::with<std::string>,
                            caf::replies_to<rt_speed_atom, route_speed>::with<std::string>,
                            caf::replies_to<rt_routes_atom>::with<std::string>,
                            caf::replies_to<reward_get_atom>::with<std::string>,
                            caf::replies_to<reward_set_atom, std::string>::with<std::string>,
                            caf::replies_to<reward_delete_atom>::with<std::string>>::
      extend_with<launcher_control_actor>::extend<
        caf::replies_to<app_run_with_atom, std::string, std::string,
                        std::vector<std::string>>::with<app_summary>>;

} // namespace skywire::api
