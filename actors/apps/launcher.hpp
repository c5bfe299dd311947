// The visor's app launcher (reference §5.1; our apps are actors of the
// visor's runtime, not child processes): a child of the visor, next to its
// `routes`. At start it spawns every app of launcher.apps with auto_start
// (built-in apps by name: actors/apps/registry.hpp) with its app_context
// (actors/apps/app.hpp; the work_dir local_path/<name>/ is created first),
// monitors them, restarts a crashed one by its policy (launcher_state.hpp),
// and answers the control requests of messages/api/launcher.hpp (through the
// visor). Stopping the launcher stops every app first (exit(user_shutdown),
// then kill after stop_grace).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include <boost/json/object.hpp>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/apps/launcher_state.hpp"
#include "actors/visor/atoms.hpp"
#include "messages/api/launcher.hpp"
#include "messages/api/route_manager.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::apps {

/// The visor's current route manager: its child `routes` may be restarted,
/// so its spawn function sets the new handle here, and the launcher reads it
/// at every app spawn. Thread-safe.
class route_manager_slot {
public:
  void set(api::route_manager_actor m) {
    std::lock_guard<std::mutex> g{mtx_};
    m_ = std::move(m);
  }
  api::route_manager_actor get() const {
    std::lock_guard<std::mutex> g{mtx_};
    return m_;
  }

private:
  mutable std::mutex mtx_;
  api::route_manager_actor m_;
};

using route_manager_slot_ptr = std::shared_ptr<route_manager_slot>;

using launcher_restart_atom = caf::atom_constant<caf::atom("lch_restrt")>;
using launcher_promote_atom = caf::atom_constant<caf::atom("lch_promot")>;
using launcher_kill_atom = caf::atom_constant<caf::atom("lch_kill")>;
/// (launcher_configure_atom, name, cfg) -> app_summary: the config changed
/// by the visor's config_owner (launcher.apps[name] set or added): the
/// launcher takes `cfg` for the apps it spawns from now on and the entry
/// `name` from it; refused while that app is up (stop it first).
using launcher_configure_atom = caf::atom_constant<caf::atom("lch_config")>;

/// The launcher's full interface: the control requests, what apps report,
/// its timers, `visor info` (info_atom) and, with fault injection,
/// (visor_crash_atom, app name) -> "\"injected\"": the app is sent an
/// abnormal exit (a crash, restarted by the policy).
using launcher_actor = api::launcher_control_actor::extend<
  caf::reacts_to<api::app_status_atom, std::string>,
  caf::reacts_to<api::app_error_atom, std::string>,
  caf::reacts_to<launcher_restart_atom, std::string, uint64_t>,
  caf::reacts_to<launcher_promote_atom, std::string, uint64_t>,
  caf::reacts_to<launcher_kill_atom, std::string, uint64_t>,
  caf::replies_to<launcher_configure_atom, std::string, visor::config_ptr>::with<api::app_summary>,
  caf::replies_to<system::info_atom>::with<std::string>,
  caf::replies_to<api::visor_crash_atom, std::string>::with<std::string>>;

struct launcher_options {
  visor::config_ptr cfg;
  io::io_runtime_ptr io;
  route_manager_slot_ptr routes; ///< may be null or empty: apps get no routes
  launcher_limits limits;
  bool fault_injection = false;
  /// How long a stopped app may take before it is killed.
  std::chrono::milliseconds stop_grace{5000};
};

launcher_actor spawn_launcher(caf::actor_system& sys, launcher_options opts);

/// An app as the CLI socket writes it: the reference's AppState ("name",
/// "binary", "args", "auto_start", "port", "status" as its number,
/// "detailed_status") and ours ("app", "state" in words, "error",
/// "restarts").
boost::json::object to_json(const api::app_summary& s);

} // namespace skywire::apps
