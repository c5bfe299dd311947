#include "actors/visor/config_owner.hpp"

#include <caf/stateful_actor.hpp>

#include "runtime/system/supervision.hpp"

namespace skywire::visor {

namespace {

struct config_owner_state {
  config_ptr cfg;
  static inline const char* name = "config_owner";
};

caf::behavior config_owner(caf::stateful_actor<config_owner_state>* self, config_ptr cfg) {
  self->state.cfg = std::move(cfg);
  system::install_exception_handler(self, "config_owner");
  return caf::message_handler{
    [self](get_config_atom) { return self->state.cfg; },
  }
    .or_else(system::fault_injection_handler());
}

} // namespace

caf::actor spawn_config_owner(caf::actor_system& sys, config_ptr cfg) {
  return sys.spawn(config_owner, std::move(cfg));
}

} // namespace skywire::visor
