// visor: the root of a visor's actor tree. It owns the identity and the
// config, supervises its children (config_owner, cli_gateway, and later the
// dmsg client, transport manager, router, launcher…) with restart back-off
// and escalation, and answers the visor.* requests of the CLI.
//
// Adding a subsystem: write its child_spec in visor_children() (visor.cpp),
// one line; give it an info_key to show its status in `visor info`
// (the dmsg client uses "dmsg_sessions").
//
// Stopping: an exit message (e.g. from SIGTERM) or visor.halt makes the visor
// stop its children and quit once all of them are down. A child that exceeds
// its restart budget makes the visor quit with that child's error.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/visor/atoms.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::visor {

/// The name of the transport manager among the visor's children.
inline constexpr std::string_view transport_manager_child = "transport_manager";
/// The name of the router among the visor's children.
inline constexpr std::string_view router_child = "router";
inline constexpr std::string_view routes_child = "routes";
/// The name of the config owner among the visor's children.
inline constexpr std::string_view config_owner_child = "config_owner";
/// The name of the app launcher among the visor's children.
inline constexpr std::string_view launcher_child = "launcher";
/// debug.crash {"actor":"app/<name>"} crashes an app of the launcher.
inline constexpr std::string_view app_crash_prefix = "app/";

struct visor_options {
  config_ptr cfg;
  io::io_runtime_ptr io;
  bool fault_injection = false; ///< enables debug.crash (test-only)
  /// The stcpr re-bind interval (test-only; 0 = the built-in 5 minutes).
  std::chrono::milliseconds stcpr_rebind{0};
  /// The uptime heartbeat interval (test-only; 0 = the reference's 5 minutes).
  std::chrono::milliseconds uptime_interval{0};
  /// Extra children after the built-in ones (tests, embedding).
  std::vector<system::child_spec> extra_children;
};

/// What a child factory needs to build its child_spec.
struct visor_context {
  config_ptr cfg;
  io::io_runtime_ptr io;
  bool fault_injection = false;
  std::chrono::milliseconds stcpr_rebind{0};
  std::chrono::milliseconds uptime_interval{0};
};

/// The built-in children, in start order.
std::vector<system::child_spec> visor_children(const visor_context& ctx);

/// The visor answers api::visor_actor (messages/api/visor.hpp); its full
/// interface (config requests of its children, timers) is private.
api::visor_actor spawn_visor(caf::actor_system& sys, visor_options opts);

} // namespace skywire::visor
