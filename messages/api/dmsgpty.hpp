// The actor protocol between the dmsgpty host actor and its connection
// sessions (actors/dmsgpty). Local messages only.
//
//   session -> host  (wl_list_atom)                      -> std::vector<public_key>
//   session -> host  (wl_add_atom, std::vector<public_key>)    -> ok_atom | error
//   session -> host  (wl_remove_atom, std::vector<public_key>) -> ok_atom | error
//   any     -> host  (ok_atom)  -> ok_atom once the dmsg port and the CLI socket
//                                  listen (or the error that stopped the host)
#pragma once

#include <caf/atom.hpp>

namespace skywire::api {

using wl_list_atom = caf::atom_constant<caf::atom("wl_list")>;
using wl_add_atom = caf::atom_constant<caf::atom("wl_add")>;
using wl_remove_atom = caf::atom_constant<caf::atom("wl_remove")>;

} // namespace skywire::api
