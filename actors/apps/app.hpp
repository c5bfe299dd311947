// What an app actor gets from the launcher (actors/apps/launcher): the
// visor's runtime and routes, its own entry of launcher.apps, and where to
// report (messages/api/app.hpp). One factory per app name; the launcher
// looks the config's `name` (or, for the single-binary form, the first
// argument after "app") up in the registry of built-in apps.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/visor/atoms.hpp"
#include "messages/api/app.hpp"
#include "messages/api/route_manager.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::apps {

struct app_context {
  caf::actor_system* sys = nullptr;
  io::io_runtime* io = nullptr;
  /// Dial routes to remote routing ports, listen on local ones.
  api::route_manager_actor routes;
  /// The visor's keys (service registration is signed with them).
  crypto::keypair local;
  /// The visor's config (service discovery URL, dmsg, …).
  visor::config_ptr cfg;
  /// launcher.apps[i]: name, args (without the "app <name>" prefix), port.
  std::string name;
  std::vector<std::string> args;
  skywire::port routing_port;
  /// local_path/<app name>/ (created by the launcher).
  std::filesystem::path work_dir;
  /// Where status and errors go (app_status_atom, app_error_atom).
  caf::actor launcher;
};

/// Spawns the app; an error (bad arguments) fails the start with that error.
using app_factory = std::function<expected<caf::actor>(const app_context&)>;

} // namespace skywire::apps
