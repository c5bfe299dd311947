// The actor protocol between the visor's app launcher (actors/apps/launcher)
// and the apps it runs (reference §5.1; ours are actors of the visor's
// runtime, not child processes). Local messages only.
//
//   launcher -> app   spawned with an app_context (actors/apps/app.hpp); the
//                     launcher monitors it: the app's exit reason is its end
//                     (none / user_shutdown = stopped, anything else =
//                     errored, restarted by the launcher's policy)
//   app -> launcher   (app_status_atom, std::string detailed)  the detailed
//                     status the reference's apps report ("Connecting",
//                     "Running", "Connection failed, reconnecting", …);
//                     the first one other than "Starting" makes the app
//                     running (one that reports nothing is running after
//                     1 s up)
//   app -> launcher   (app_error_atom, std::string)  the last error, shown by
//                     `cli visor app ls` (SetError in the reference)
//   launcher -> app   exit(user_shutdown)   stop: the app closes its routes
//                     and sockets and quits
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

namespace skywire::api {

using app_status_atom = caf::atom_constant<caf::atom("app_stat")>;
using app_error_atom = caf::atom_constant<caf::atom("app_err")>;

/// An app's state as the reference numbers it (AppState).
enum class app_state : uint8_t {
  stopped = 0,
  running = 1,
  errored = 2,
  starting = 3,
};

} // namespace skywire::api
