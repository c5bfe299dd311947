// The built-in apps, by name: what the launcher (actors/apps/launcher) can
// run. An entry of launcher.apps names one by its `name`, or, in the
// single-binary form (binary "skywire", args ["app", "<name>", …]), by the
// word after "app" (launcher_state.hpp: resolve_entry). A name the registry
// does not know leaves that app errored with a status that says so; the
// visor runs on.
//
// Adding an app: one line in builtin_apps() (registry.cpp) and its header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "actors/apps/app.hpp"

namespace skywire::apps {

struct builtin_app {
  std::string_view name;
  app_factory factory;
  std::string_view summary;
};

/// Every built-in app, in a stable order.
const std::vector<builtin_app>& builtin_apps();

/// The factory of `name`, or nullptr.
const app_factory* find_app(std::string_view name);

/// The names, in the registry's order.
std::vector<std::string> app_names();

} // namespace skywire::apps
