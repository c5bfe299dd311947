#include "actors/apps/launcher.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include <boost/json.hpp>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/apps/errors.hpp"
#include "actors/apps/registry.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::apps {

namespace {

constexpr const char* component = "launcher";

struct launcher_st {
  launcher_options opts;
  std::optional<launcher_state> apps;
  std::map<caf::actor_addr, std::string> by_addr; ///< running app actors
  /// Shared with the launcher's exit functor: apps still up when the
  /// launcher ends (a crash) are killed, not orphaned.
  std::shared_ptr<std::map<std::string, caf::actor>> handles =
    std::make_shared<std::map<std::string, caf::actor>>();
  std::map<std::string, std::vector<caf::response_promise>> stop_waiters;
  bool stopping = false;
  static inline const char* name = "launcher";
};

using self_ptr = launcher_actor::stateful_pointer<launcher_st>;

/// Spawns `name` (its entry must be startable).
caf::error spawn_app(self_ptr self, const std::string& name, bool by_user) {
  auto& st = self->state;
  auto& apps = *st.apps;
  if (auto why = apps.cannot_start(name); !why.empty())
    return make_error(apps_errc::unknown_app, why);
  auto* e = apps.find(name);
  auto gen = apps.spawning(name, by_user, steady_clock::now(), wall_clock::now());
  auto failed = [&](std::string why) {
    SKYWIRE_LOG(warn, component, "app failed to start", log::kv("app", name),
                log::kv("error", why));
    apps.spawn_failed(name, why, wall_clock::now());
    return make_error(apps_errc::start_failed, name + ": " + why);
  };
  const auto* factory = find_app(e->run.app);
  if (!factory)
    return failed("no built-in app \"" + e->run.app + "\"");
  app_context ctx;
  ctx.sys = &self->system();
  ctx.io = st.opts.io.get();
  if (st.opts.routes)
    ctx.routes = st.opts.routes->get();
  ctx.local = crypto::keypair{st.opts.cfg->pk, st.opts.cfg->sk};
  ctx.cfg = st.opts.cfg;
  ctx.name = name;
  ctx.args = e->run.args;
  ctx.routing_port = e->cfg.port;
  ctx.work_dir = std::filesystem::path{st.opts.cfg->local_path} / name;
  ctx.launcher = caf::actor_cast<caf::actor>(self);
  std::error_code ec;
  std::filesystem::create_directories(ctx.work_dir, ec);
  if (ec)
    return failed("cannot create " + ctx.work_dir.string() + ": " + ec.message());
  expected<caf::actor> h = caf::actor{};
  try {
    h = (*factory)(ctx);
  } catch (const std::exception& x) {
    return failed(std::string{"the app threw: "} + x.what());
  }
  if (!h)
    return failed(describe(h.error()));
  if (!*h)
    return failed("the app's factory returned no actor");
  self->monitor(*h);
  st.by_addr[h->address()] = name;
  (*st.handles)[name] = *h;
  self->delayed_send(self, apps.limits().running_after, launcher_promote_atom::value, name, gen);
  SKYWIRE_LOG(info, component, "app started", log::kv("app", name),
              log::kv("runs", e->run.app), log::kv("port", e->cfg.port.value),
              log::kv("restarts", e->tracker.restarts()));
  return {};
}

void on_app_down(self_ptr self, caf::down_msg& dm) {
  auto& st = self->state;
  auto i = st.by_addr.find(dm.source);
  if (i == st.by_addr.end())
    return;
  auto name = i->second;
  st.by_addr.erase(i);
  st.handles->erase(name);
  bool abnormal = system::is_abnormal(dm.reason);
  auto why = system::describe_exit(dm.reason);
  auto d = st.apps->exited(name, abnormal, why, steady_clock::now(), wall_clock::now());
  if (abnormal)
    SKYWIRE_LOG(warn, component, "app crashed", log::kv("app", name), log::kv("reason", why),
                log::kv("restart_in", d.delay), log::kv("restarting", d.restart));
  else
    SKYWIRE_LOG(info, component, "app stopped", log::kv("app", name));
  if (d.restart && !st.stopping)
    self->delayed_send(self, d.delay, launcher_restart_atom::value, name, d.generation);
  if (auto w = st.stop_waiters.find(name); w != st.stop_waiters.end()) {
    auto summary = st.apps->summary(*st.apps->find(name));
    for (auto& rp : w->second)
      rp.deliver(summary);
    st.stop_waiters.erase(w);
  }
  if (st.stopping && st.by_addr.empty())
    self->quit(caf::exit_reason::user_shutdown);
}

/// The app `name` is asked to stop; its kill timer follows.
void stop_app(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto h = st.handles->find(name);
  if (h == st.handles->end())
    return;
  self->send_exit(h->second, caf::exit_reason::user_shutdown);
  self->delayed_send(self, st.opts.stop_grace, launcher_kill_atom::value, name,
                     st.apps->find(name)->generation);
}

std::string info_json(const launcher_state& apps) {
  boost::json::array a;
  for (const auto& s : apps.summaries())
    a.emplace_back(to_json(s));
  return boost::json::serialize(a);
}

launcher_actor::behavior_type launcher(self_ptr self, launcher_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  system::install_exception_handler(self, component);
  std::vector<config::app_config> cfg_apps = st.opts.cfg ? st.opts.cfg->launcher.apps
                                                          : std::vector<config::app_config>{};
  st.apps.emplace(
    cfg_apps, [](std::string_view n) { return find_app(n) != nullptr; }, app_names(),
    st.opts.limits);
  for (const auto& e : st.apps->entries())
    if (!e.known)
      SKYWIRE_LOG(warn, component, "app not runnable", log::kv("app", e.cfg.name),
                  log::kv("status", e.detailed_status));
  self->set_down_handler([self](caf::down_msg& dm) { on_app_down(self, dm); });
  self->attach_functor([handles = st.handles](const caf::error&) {
    for (auto& [name, h] : *handles)
      caf::anon_send_exit(h, caf::exit_reason::kill);
  });
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto& st = self->state;
    if (em.reason == caf::exit_reason::kill) {
      self->quit(em.reason);
      return;
    }
    if (st.stopping)
      return;
    st.stopping = true;
    if (st.by_addr.empty()) {
      self->quit(caf::exit_reason::user_shutdown);
      return;
    }
    SKYWIRE_LOG(debug, component, "stopping apps", log::kv("running", st.by_addr.size()));
    std::vector<std::string> names;
    for (auto& [name, h] : *st.handles)
      names.push_back(name);
    for (auto& n : names) {
      st.apps->stop_requested(n, wall_clock::now());
      stop_app(self, n);
    }
  });
  if (st.opts.cfg)
    for (const auto& name : st.apps->auto_start_names())
      if (auto err = spawn_app(self, name, false))
        SKYWIRE_LOG(warn, component, "auto_start failed", log::kv("app", name),
                    log::kv("error", describe(err)));

  return {
    [self](api::app_ls_atom) { return self->state.apps->summaries(); },
    [self](api::app_start_atom, const std::string& name) -> caf::result<api::app_summary> {
      auto& st = self->state;
      if (st.stopping)
        return make_error(apps_errc::busy, "the launcher is stopping");
      const auto* e = st.apps->find(name);
      if (!e)
        return make_error(apps_errc::unknown_app, st.apps->cannot_start(name));
      if (e->stop_requested)
        return make_error(apps_errc::busy, name + " is stopping; start it once it stopped");
      if (e->state == api::app_state::starting || e->state == api::app_state::running)
        return make_error(apps_errc::already_running, name + " is " + api::to_string(e->state));
      if (auto err = spawn_app(self, name, true))
        return err;
      return st.apps->summary(*st.apps->find(name));
    },
    [self](api::app_stop_atom, const std::string& name) -> caf::result<api::app_summary> {
      auto& st = self->state;
      const auto* e = st.apps->find(name);
      if (!e)
        return make_error(apps_errc::unknown_app, st.apps->cannot_start(name));
      bool waiting = e->stop_requested;
      if (!waiting && !st.apps->stop_requested(name, wall_clock::now()))
        return st.apps->summary(*e);
      auto rp = self->make_response_promise<api::app_summary>();
      st.stop_waiters[name].push_back(rp);
      if (!waiting)
        stop_app(self, name);
      return rp;
    },
    [self](api::app_autostart_atom, const std::string& name,
           bool on) -> caf::result<api::app_summary> {
      auto& st = self->state;
      if (!st.apps->find(name))
        return make_error(apps_errc::unknown_app, st.apps->cannot_start(name));
      st.apps->set_auto_start(name, on, wall_clock::now());
      return st.apps->summary(*st.apps->find(name));
    },
    [self](launcher_configure_atom, const std::string& name,
           const visor::config_ptr& cfg) -> caf::result<api::app_summary> {
      auto& st = self->state;
      if (!cfg)
        return make_error(apps_errc::unavailable, "no config");
      auto it = std::find_if(cfg->launcher.apps.begin(), cfg->launcher.apps.end(),
                             [&](const auto& a) { return a.name == name; });
      if (it == cfg->launcher.apps.end())
        return make_error(apps_errc::unknown_app, "no app named \"" + name + "\" in launcher.apps");
      if (!st.apps->configure(
            *it, [](std::string_view n) { return find_app(n) != nullptr; }, wall_clock::now()))
        return make_error(apps_errc::busy, name + " is up; stop it before changing its arguments");
      st.opts.cfg = cfg;
      SKYWIRE_LOG(info, component, "app configured", log::kv("app", name),
                  log::kv("port", it->port.value));
      return st.apps->summary(*st.apps->find(name));
    },
    [self](api::app_logs_atom, const std::string& name,
           int64_t since) -> caf::result<std::vector<std::string>> {
      auto& st = self->state;
      if (!st.apps->find(name))
        return make_error(apps_errc::unknown_app, st.apps->cannot_start(name));
      return st.apps->logs_since(name, since);
    },
    [self](api::app_status_atom, std::string& text) {
      auto& st = self->state;
      auto i = st.by_addr.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
      if (i == st.by_addr.end())
        return;
      SKYWIRE_LOG(debug, component, "app status", log::kv("app", i->second),
                  log::kv("status", text));
      st.apps->status(i->second, std::move(text), wall_clock::now());
    },
    [self](api::app_error_atom, std::string& text) {
      auto& st = self->state;
      auto i = st.by_addr.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
      if (i == st.by_addr.end())
        return;
      SKYWIRE_LOG(info, component, "app error", log::kv("app", i->second),
                  log::kv("error", text));
      st.apps->error(i->second, std::move(text), wall_clock::now());
    },
    [self](launcher_restart_atom, const std::string& name, uint64_t generation) {
      auto& st = self->state;
      if (st.stopping || !st.apps->restart_due(name, generation))
        return;
      if (auto err = spawn_app(self, name, false))
        SKYWIRE_LOG(warn, component, "restart failed", log::kv("app", name),
                    log::kv("error", describe(err)));
    },
    [self](launcher_promote_atom, const std::string& name, uint64_t generation) {
      self->state.apps->promote(name, generation, wall_clock::now());
    },
    [self](launcher_kill_atom, const std::string& name, uint64_t generation) {
      auto& st = self->state;
      auto h = st.handles->find(name);
      const auto* e = st.apps->find(name);
      if (h == st.handles->end() || !e || e->generation != generation)
        return;
      SKYWIRE_LOG(warn, component, "app did not stop in time; killing it",
                  log::kv("app", name), log::kv("grace", st.opts.stop_grace));
      self->send_exit(h->second, caf::exit_reason::kill);
    },
    [self](system::info_atom) { return info_json(*self->state.apps); },
    [self](api::visor_crash_atom, const std::string& name) -> caf::result<std::string> {
      auto& st = self->state;
      if (!st.opts.fault_injection)
        return caf::make_error(caf::sec::invalid_argument, "fault injection is disabled");
      auto h = st.handles->find(name);
      if (h == st.handles->end())
        return caf::make_error(caf::sec::invalid_argument,
                               "no running app named \"" + name + "\"");
      SKYWIRE_LOG(info, component, "fault injected", log::kv("app", name));
      self->send_exit(h->second, caf::make_error(caf::sec::runtime_error,
                                                 "injected fault (debug.crash)"));
      return std::string{"\"injected\""};
    },
  };
}

} // namespace

boost::json::object to_json(const api::app_summary& s) {
  boost::json::object o;
  o["name"] = s.name;
  o["binary"] = s.binary;
  boost::json::array args;
  for (const auto& a : s.args)
    args.emplace_back(boost::json::string_view{a});
  o["args"] = std::move(args);
  o["auto_start"] = s.auto_start;
  o["port"] = s.port;
  o["status"] = static_cast<int>(s.state);
  o["detailed_status"] = s.detailed_status;
  o["app"] = s.app;
  o["state"] = api::to_string(s.state);
  o["error"] = s.error;
  o["restarts"] = s.restarts;
  return o;
}

launcher_actor spawn_launcher(caf::actor_system& sys, launcher_options opts) {
  return sys.spawn(launcher, std::move(opts));
}

} // namespace skywire::apps
