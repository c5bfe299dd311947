// Actor-system setup shared by every skywire process: the scheduler tuned for
// a small machine (sharing policy, at most 2 worker threads), no CAF
// middleman (no process talks to remote actors: services in other processes
// are reached over their public HTTP or dmsg APIs, never over BASP; leaving
// CAF's io library unlinked saves every process its mapped pages), no CAF
// config file or argv parsing (Boost.Program_options owns argv), and the type-ID registrations of
// the project's message types.
//
// Subsystems that add serializable message types register a loader once, at
// start-up, before the first system is created:
//   system::add_type_block([](caf::actor_system_config& cfg) {
//     cfg.add_message_type<my_msg>("skywire::my_msg"); });
#pragma once

#include <cstddef>
#include <functional>

#include <caf/actor_system_config.hpp>

namespace skywire::system {

struct system_options {
  size_t max_threads = 2;
};

/// Adds a loader of message types; every configure() call runs all loaders.
void add_type_block(std::function<void(caf::actor_system_config&)> loader);

/// Applies the options and registers the project's message types.
void configure(caf::actor_system_config& cfg, const system_options& opts = {});

} // namespace skywire::system
