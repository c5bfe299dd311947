#include "actors/visor/config_owner.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "runtime/system/supervision.hpp"

namespace skywire::visor {

namespace {

struct config_owner_state {
  config_ptr cfg;
  static inline const char* name = "config_owner";
};

config_owner_actor::behavior_type
config_owner(config_owner_actor::stateful_pointer<config_owner_state> self, config_ptr cfg) {
  self->state.cfg = std::move(cfg);
  system::install_exception_handler(self, "config_owner");
  return {
    [self](get_config_atom) { return self->state.cfg; },
    [](system::crash_atom) { system::throw_injected_fault(); },
  };
}

} // namespace

config_owner_actor spawn_config_owner(caf::actor_system& sys, config_ptr cfg) {
  return sys.spawn(config_owner, std::move(cfg));
}

} // namespace skywire::visor
