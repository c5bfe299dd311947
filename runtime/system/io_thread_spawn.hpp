// Spawning an actor from an io thread (an Asio completion handler).
//
// CAF 0.17 stores a reference to the system's logger in a thread-local of
// every thread that spawns an actor, and ~actor_system blocks until the
// logger is destroyed, i.e. until every such reference is gone. Scheduler
// threads drop theirs when they stop; an io thread outlives the actor system
// (actors close their sockets on it while the system shuts down), so a
// reference left there hangs the shutdown for good. Every spawn that runs on
// an io thread goes through spawn_from_io_thread, which lets go of it again.
#pragma once

#include <caf/logger.hpp>

namespace skywire::system {

template <class Spawn>
auto spawn_from_io_thread(Spawn&& spawn) -> decltype(spawn()) {
  struct release_logger {
    ~release_logger() { caf::logger::set_current_actor_system(nullptr); }
  } release;
  return spawn();
}

} // namespace skywire::system
