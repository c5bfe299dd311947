// The control interface of the visor's app launcher (actors/apps/launcher):
// what `skywire cli visor app …` asks through the visor (reference §1.6.1:
// Apps, StartApp, StopApp, SetAutoStart, LogsSince). Local messages only.
//
//   request(l, T, app_ls_atom)                      -> std::vector<app_summary>
//   request(l, T, app_start_atom, name)             -> app_summary once the app
//       was spawned (state starting or running); an error for an unknown
//       name or an app whose factory refused its arguments
//   request(l, T, app_stop_atom, name)              -> app_summary once the app
//       ended (state stopped); stopping a stopped app is no error
//   request(l, T, app_autostart_atom, name, bool)   -> app_summary: the
//       in-memory auto_start (the visor writes the config file first, through
//       its config_owner, then tells the launcher)
//   request(l, T, app_logs_atom, name, since)       -> std::vector<std::string>
//       the app's status and error lines stamped at or after `since` (ns
//       since the Unix epoch; 0 = all kept lines), oldest first
//
// and what apps send it (messages/api/app.hpp): (app_status_atom, text),
// (app_error_atom, text).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/api/app.hpp"

namespace skywire::api {

using app_ls_atom = caf::atom_constant<caf::atom("app_ls")>;
using app_start_atom = caf::atom_constant<caf::atom("app_start")>;
using app_stop_atom = caf::atom_constant<caf::atom("app_stop")>;
using app_autostart_atom = caf::atom_constant<caf::atom("app_auto")>;
using app_logs_atom = caf::atom_constant<caf::atom("app_logs")>;

/// One app as `cli visor app ls` shows it (the reference's AppState plus
/// ours: the state's name, the last error, the restarts).
struct app_summary {
  std::string name;   ///< the config's name
  std::string app;    ///< the built-in app it runs ("" when unknown)
  std::string binary; ///< the config's binary
  std::vector<std::string> args; ///< the config's args, as written
  bool auto_start = false;
  uint16_t port = 0;  ///< routing port
  app_state state = app_state::stopped;
  std::string detailed_status;
  std::string error;  ///< the last error ("" when none)
  uint64_t restarts = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, app_summary& x) {
  return f(caf::meta::type_name("skywire::api::app_summary"), x.name, x.app, x.binary, x.args,
           x.auto_start, x.port, x.state, x.detailed_status, x.error, x.restarts);
}

/// "stopped" | "running" | "errored" | "starting".
inline const char* to_string(app_state s) noexcept {
  switch (s) {
    case app_state::stopped: return "stopped";
    case app_state::running: return "running";
    case app_state::errored: return "errored";
    case app_state::starting: return "starting";
  }
  return "?";
}

using launcher_control_actor =
  caf::typed_actor<caf::replies_to<app_ls_atom>::with<std::vector<app_summary>>,
                   caf::replies_to<app_start_atom, std::string>::with<app_summary>,
                   caf::replies_to<app_stop_atom, std::string>::with<app_summary>,
                   caf::replies_to<app_autostart_atom, std::string, bool>::with<app_summary>,
                   caf::replies_to<app_logs_atom, std::string, int64_t>::with<
                     std::vector<std::string>>>;

} // namespace skywire::api
