#include "actors/apps/registry.hpp"

#include "actors/apps/echo_app.hpp"
#include "actors/apps/skysocks.hpp"
#include "actors/apps/skysocks_client.hpp"

#include "actors/apps/skychat.hpp"

namespace skywire::apps {

const std::vector<builtin_app>& builtin_apps() {
  // One line per app; keep a blank line between the lines of apps written
  // on different branches (they merge without conflicts).
  static const std::vector<builtin_app> apps{
    {"echo", spawn_echo_app, "echoes every route to its routing port"},

    {"skysocks", spawn_skysocks, "SOCKS5 server over routes (routing port 3; --passcode)"},
    {"skysocks-client", spawn_skysocks_client,
     "SOCKS5 proxy client: local TCP (--addr, default 127.0.0.1:1080) to --srv's skysocks"},

    {"skychat", spawn_skychat, "text messages between visors (routing port 1, web API on --addr)"},
  };
  return apps;
}

const app_factory* find_app(std::string_view name) {
  for (const auto& a : builtin_apps())
    if (a.name == name)
      return &a.factory;
  return nullptr;
}

std::vector<std::string> app_names() {
  std::vector<std::string> out;
  for (const auto& a : builtin_apps())
    out.emplace_back(a.name);
  return out;
}

} // namespace skywire::apps
