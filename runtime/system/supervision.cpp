#include "runtime/system/supervision.hpp"

#include <stdexcept>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>

#include "messages/error.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::system {

const char* to_string(child_state x) noexcept {
  switch (x) {
    case child_state::running: return "running";
    case child_state::restarting: return "restarting";
    case child_state::stopped: return "stopped";
    case child_state::failed: return "failed";
  }
  return "?";
}

std::string describe_exit(const caf::error& reason) {
  if (!reason)
    return "normal";
  return describe(reason); // CAF's sec and exit codes in words
}

bool is_abnormal(const caf::error& reason) noexcept {
  if (!reason)
    return false;
  return reason != caf::exit_reason::normal && reason != caf::exit_reason::user_shutdown;
}

void supervision::attach(caf::scheduled_actor* self, std::string component) {
  self_ = self;
  component_ = std::move(component);
  self_->set_down_handler([this](caf::down_msg& dm) { on_down(dm); });
}

bool supervision::add(child_spec spec) {
  if (children_.count(spec.name) > 0)
    return false;
  auto name = spec.name;
  auto& e = children_[name];
  e.tracker = restart_tracker{spec.policy};
  e.spec = std::move(spec);
  order_.push_back(name);
  spawn(e);
  return true;
}

void supervision::spawn(entry& e) {
  ++e.generation;
  e.handle = e.spec.spawn(self_->system(), caf::actor_cast<caf::actor>(self_));
  if (!e.handle) {
    e.state = child_state::failed;
    e.last_exit = caf::make_error(caf::sec::runtime_error, "spawn returned no actor");
    SKYWIRE_LOG(error, component_, "child failed to start", log::kv("child", e.spec.name));
    if (on_give_up)
      on_give_up(e.spec.name, e.last_exit);
    return;
  }
  self_->monitor(e.handle);
  e.state = child_state::running;
  e.tracker.started(clock::now());
  SKYWIRE_LOG(debug, component_, "child started", log::kv("child", e.spec.name),
              log::kv("restarts", e.tracker.restarts()));
}

void supervision::on_down(caf::down_msg& dm) {
  for (auto& name : order_) {
    auto& e = children_[name];
    if (!e.handle || e.handle.address() != dm.source)
      continue;
    e.handle = nullptr;
    if (is_abnormal(dm.reason))
      e.last_exit = dm.reason;
    if (shutting_down_) {
      e.state = child_state::stopped;
      SKYWIRE_LOG(debug, component_, "child stopped", log::kv("child", name));
      maybe_report_stopped();
      return;
    }
    auto d = e.tracker.exited(is_abnormal(dm.reason), clock::now());
    switch (d.what) {
      case restart_tracker::action::restart:
        e.state = child_state::restarting;
        SKYWIRE_LOG(warn, component_, "child exited; restarting", log::kv("child", name),
                    log::kv("reason", describe_exit(dm.reason)), log::kv("delay", d.delay),
                    log::kv("restarts", e.tracker.restarts()));
        caf::delayed_anon_send(caf::actor_cast<caf::actor>(self_), d.delay, restart_atom::value,
                               name, e.generation);
        break;
      case restart_tracker::action::stop:
        e.state = child_state::stopped;
        SKYWIRE_LOG(debug, component_, "child stopped", log::kv("child", name));
        break;
      case restart_tracker::action::give_up:
        e.state = child_state::failed;
        SKYWIRE_LOG(error, component_, "child restarted too often; giving up",
                    log::kv("child", name), log::kv("reason", describe_exit(dm.reason)),
                    log::kv("restarts", e.tracker.restarts()));
        if (on_give_up)
          on_give_up(name, dm.reason);
        break;
    }
    return;
  }
  if (on_other_down)
    on_other_down(dm);
}

caf::message_handler supervision::handlers() {
  return caf::message_handler{
    [this](restart_atom, const std::string& name, uint64_t generation) {
      on_restart(name, generation);
    },
  };
}

void supervision::on_restart(const std::string& name, uint64_t generation) {
  auto i = children_.find(name);
  if (i == children_.end() || shutting_down_)
    return;
  auto& e = i->second;
  if (e.generation != generation || e.state != child_state::restarting)
    return; // stale timer
  spawn(e);
}

caf::actor supervision::child(const std::string& name) const {
  auto i = children_.find(name);
  if (i == children_.end() || i->second.state != child_state::running)
    return nullptr;
  return i->second.handle;
}

std::vector<child_status> supervision::status() const {
  std::vector<child_status> out;
  for (const auto& name : order_) {
    const auto& e = children_.at(name);
    out.push_back({name, to_string(e.state), e.tracker.restarts(),
                   e.last_exit ? describe_exit(e.last_exit) : std::string{}});
  }
  return out;
}

std::vector<std::pair<std::string, caf::actor>> supervision::info_providers() const {
  std::vector<std::pair<std::string, caf::actor>> out;
  for (const auto& name : order_) {
    const auto& e = children_.at(name);
    if (!e.spec.info_key.empty() && e.state == child_state::running && e.handle)
      out.emplace_back(e.spec.info_key, e.handle);
  }
  return out;
}

void supervision::shutdown(const caf::error& reason) {
  shutting_down_ = true;
  for (const auto& name : order_) {
    auto& e = children_[name];
    if (e.handle)
      self_->send_exit(e.handle, reason);
    else if (e.state == child_state::restarting)
      e.state = child_state::stopped;
  }
  maybe_report_stopped();
}

void supervision::maybe_report_stopped() {
  if (shutting_down_ && !stopped_reported_ && all_down()) {
    stopped_reported_ = true;
    if (on_stopped)
      on_stopped();
  }
}

bool supervision::all_down() const {
  for (const auto& kv : children_)
    if (kv.second.handle)
      return false;
  return true;
}

bool supervision::inject_fault(const std::string& name) {
  auto h = child(name);
  if (!h)
    return false;
  caf::unsafe_send_as(self_, h, crash_atom::value);
  return true;
}

void throw_injected_fault() {
  throw std::runtime_error("injected fault (debug.crash)");
}

caf::message_handler fault_injection_handler() {
  return caf::message_handler{
    [](crash_atom) { throw_injected_fault(); },
  };
}

void install_exception_handler(caf::scheduled_actor* self, std::string name) {
  self->set_exception_handler(
    [name = std::move(name)](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(eptr);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      SKYWIRE_LOG(warn, name, "actor failed with an exception", log::kv("error", what));
      return caf::make_error(caf::sec::runtime_error, what);
    });
}

} // namespace skywire::system
