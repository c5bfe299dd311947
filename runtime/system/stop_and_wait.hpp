// Stops an actor and waits (bounded) until it has terminated, so that what
// it posts while shutting down (onto io contexts, into registries) happens
// before its caller tears those down. For main threads and tests only:
// never call it from inside an actor.
#pragma once

#include <chrono>

#include <caf/actor_cast.hpp>
#include <caf/after.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

namespace skywire::system {

/// Sends exit(user_shutdown) to `a` and waits for it to be down; false if it
/// was still running after `limit`.
template <class Handle>
bool stop_and_wait(const Handle& a, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  if (!a)
    return true;
  auto untyped = caf::actor_cast<caf::actor>(a);
  caf::scoped_actor self{untyped->home_system()};
  self->monitor(untyped);
  caf::anon_send_exit(untyped, caf::exit_reason::user_shutdown);
  bool down = false;
  self->receive([&](const caf::down_msg&) { down = true; }, caf::after(limit) >> [] {});
  return down;
}

} // namespace skywire::system
