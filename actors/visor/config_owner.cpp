#include "actors/visor/config_owner.hpp"

#include <memory>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/apps/errors.hpp"
#include "actors/apps/launcher_state.hpp"
#include "runtime/config/errors.hpp"
#include "runtime/config/file_update.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::visor {

namespace {

constexpr const char* component = "config_owner";

struct config_owner_state {
  config_ptr cfg;
  config_cell_ptr latest;
  static inline const char* name = "config_owner";
};

config_owner_actor::behavior_type
config_owner(config_owner_actor::stateful_pointer<config_owner_state> self,
             config_cell_ptr latest) {
  self->state.cfg = latest->load();
  self->state.latest = std::move(latest);
  system::install_exception_handler(self, component);
  return {
    [self](get_config_atom) { return self->state.cfg; },
    [self](cfg_app_autostart_atom, const std::string& name,
           bool on) -> caf::result<config_ptr> {
      auto next = std::make_shared<config::visor_config>(*self->state.cfg);
      if (!config::set_app_auto_start(*next, name, on))
        return apps::make_error(apps::apps_errc::unknown_app,
                                "no app named \"" + name + "\" in launcher.apps");
      if (!next->source_path.empty()) {
        auto err = config::update_config_file(next->source_path, [&](boost::json::object& root) {
          return config::set_app_auto_start(root, name, on);
        });
        if (err)
          return apps::make_error(apps::apps_errc::config_write,
                                  next->source_path + ": " + config::message(err));
        SKYWIRE_LOG(info, component, "config written", log::kv("path", next->source_path),
                    log::kv("app", name), log::kv("auto_start", on));
      } else {
        SKYWIRE_LOG(warn, component, "config changed in memory only (not read from a file)",
                    log::kv("app", name), log::kv("auto_start", on));
      }
      self->state.cfg = next;
      self->state.latest->store(self->state.cfg);
      return self->state.cfg;
    },
    [self](cfg_app_flags_atom, const std::string& name, const std::string& app,
           const std::vector<std::string>& flags) -> caf::result<config_ptr> {
      // the reference's default instance keeps its port (13 for the proxy client)
      uint16_t preferred = app == "skysocks-client" ? 13 : 0;
      auto entry = apps::app_with_flags(self->state.cfg->launcher.apps, name, app, flags, preferred);
      if (!entry)
        return std::move(entry.error());
      auto next = std::make_shared<config::visor_config>(*self->state.cfg);
      config::set_app_entry(*next, *entry);
      if (!next->source_path.empty()) {
        auto err = config::update_config_file(next->source_path, [&](boost::json::object& root) {
          return config::set_app_entry(root, *entry);
        });
        if (err)
          return apps::make_error(apps::apps_errc::config_write,
                                  next->source_path + ": " + config::message(err));
        SKYWIRE_LOG(info, component, "config written", log::kv("path", next->source_path),
                    log::kv("app", name), log::kv("port", entry->port.value));
      } else {
        SKYWIRE_LOG(warn, component, "config changed in memory only (not read from a file)",
                    log::kv("app", name));
      }
      self->state.cfg = next;
      self->state.latest->store(self->state.cfg);
      return self->state.cfg;
    },
    [](system::crash_atom) { system::throw_injected_fault(); },
  };
}

} // namespace

config_owner_actor spawn_config_owner(caf::actor_system& sys, config_cell_ptr latest) {
  return sys.spawn(config_owner, std::move(latest));
}

} // namespace skywire::visor
