// Supervision of named child actors, used by the visor (the root supervisor)
// and by any subsystem actor that owns children (e.g. a dmsg client and its
// sessions). It is a member of the supervising actor's state:
//
//   struct my_state { system::supervision sup; };
//   behavior my_actor(stateful_actor<my_state>* self) {
//     self->state.sup.attach(self);                 // installs the down handler
//     self->state.sup.add({"child", spawn_fn, {}}); // spawn + monitor
//     return message_handler{ ...own handlers... }.or_else(self->state.sup.handlers());
//   }
//
// A typed owner (e.g. the visor) adds reacts_to<restart_atom, std::string,
// uint64_t> to its interface and calls on_restart() from that handler.
//
// A child that exits abnormally is restarted after a back-off (restart_tracker);
// too many restarts inside the window mark it failed and call on_give_up (the
// owner escalates, usually by quitting with that error). Each child's state
// and restart count are reported by status().
//
// Children that want to take part in fault injection (`debug.crash`) add
// fault_injection_handler() to their behaviour and call
// install_exception_handler(self) so an exception becomes a logged abnormal
// exit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/message_handler.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "runtime/system/restart_policy.hpp"

namespace skywire::system {

/// Scheduled restart of a child: (restart_atom, name, generation).
using restart_atom = caf::atom_constant<caf::atom("sv_restart")>;
/// Fault injection: a child that receives it throws.
using crash_atom = caf::atom_constant<caf::atom("sv_crash")>;
/// Asks an info-providing child for its JSON status text (a std::string).
using info_atom = caf::atom_constant<caf::atom("sv_info")>;

/// What a child with an info_key implements (typed children extend their
/// interface with it).
using info_provider_actor = caf::typed_actor<caf::replies_to<info_atom>::with<std::string>>;

enum class child_state : uint8_t { running, restarting, stopped, failed };
const char* to_string(child_state x) noexcept;

struct child_spec {
  std::string name;
  /// Spawns the child; `parent` is the supervising actor.
  std::function<caf::actor(caf::actor_system& sys, const caf::actor& parent)> spawn;
  restart_policy policy;
  /// When not empty, the owner's status report (e.g. `visor info`) asks this
  /// child with (info_atom) -> std::string (a JSON value) and shows the answer
  /// under this key (e.g. "dmsg_sessions").
  std::string info_key;
};

struct child_status {
  std::string name;
  std::string state; ///< to_string(child_state)
  uint64_t restarts = 0;
  std::string last_exit; ///< describe() of the last abnormal exit reason, or ""
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, child_status& x) {
    return f(caf::meta::type_name("skywire::system::child_status"), x.name, x.state,
             x.restarts, x.last_exit);
  }
};

class supervision {
public:
  supervision() = default;
  supervision(const supervision&) = delete;
  supervision& operator=(const supervision&) = delete;

  /// Binds to the owning actor (typed or not) and installs its down handler
  /// (call once, in the actor's init). `component` names the owner in log
  /// lines.
  void attach(caf::scheduled_actor* self, std::string component = "supervisor");

  /// Called with the child name and last exit reason when a child exceeds
  /// its restart budget (the child is then in state `failed`).
  std::function<void(const std::string&, const caf::error&)> on_give_up;
  /// Called once after shutdown() when the last child is down (immediately
  /// from shutdown() when none is running).
  std::function<void()> on_stopped;
  /// Called for down messages of actors that are not children.
  std::function<void(caf::down_msg&)> on_other_down;

  /// Spawns and monitors a new child. Names are unique; returns false on a
  /// duplicate name.
  bool add(child_spec spec);

  /// The restart timer handler; include in the owner's behaviour.
  caf::message_handler handlers();

  /// What handlers() does with (restart_atom, name, generation): for typed
  /// owners, whose behaviour cannot include a message_handler.
  void on_restart(const std::string& name, uint64_t generation);

  /// The current handle of a running child (invalid when not running).
  caf::actor child(const std::string& name) const;

  /// Every child in insertion order.
  std::vector<child_status> status() const;

  /// Children that provide info: (info_key, handle) for running ones.
  std::vector<std::pair<std::string, caf::actor>> info_providers() const;

  /// Sends `reason` as exit to every running child and stops restarting.
  void shutdown(const caf::error& reason);

  /// Whether shutdown() was called.
  bool shutting_down() const noexcept { return shutting_down_; }

  /// Whether no child is running any more (all stopped or failed).
  bool all_down() const;

  /// Sends crash_atom to a child. False if there is no such running child.
  bool inject_fault(const std::string& name);

private:
  struct entry {
    child_spec spec;
    restart_tracker tracker;
    child_state state = child_state::stopped;
    caf::actor handle;
    uint64_t generation = 0;
    caf::error last_exit;
  };
  void spawn(entry& e);
  void on_down(caf::down_msg& dm);

  caf::scheduled_actor* self_ = nullptr;
  std::string component_;
  std::vector<std::string> order_;
  std::map<std::string, entry> children_;
  bool shutting_down_ = false;
  bool stopped_reported_ = false;
  void maybe_report_stopped();
};

/// (crash_atom) -> throws std::runtime_error("injected fault").
caf::message_handler fault_injection_handler();

/// What that handler does (typed children: reacts_to<crash_atom>).
[[noreturn]] void throw_injected_fault();

/// The typed face of a child that takes part in fault injection.
using fault_injectable_actor = caf::typed_actor<caf::reacts_to<crash_atom>>;

/// Makes an exception escaping a handler a logged abnormal exit
/// (sec::runtime_error carrying what()) instead of CAF's stdout print.
void install_exception_handler(caf::scheduled_actor* self, std::string name);

/// A short text for an exit reason: "runtime_error: injected fault",
/// "user_shutdown", or describe() for project errors.
std::string describe_exit(const caf::error& reason);

/// Whether an exit reason counts as abnormal (anything but none, normal and
/// user_shutdown).
bool is_abnormal(const caf::error& reason) noexcept;

} // namespace skywire::system

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::system::child_spec)
