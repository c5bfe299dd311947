// The launcher's methods of the CLI socket (cli_methods.hpp).
#include "actors/apps/launcher.hpp"
#include "actors/apps/launcher_state.hpp"
#include "actors/visor/cli_methods.hpp"

namespace skywire::visor::cli {

// The launcher's methods (the reference's names: Apps, StartApp, StopApp,
// SetAutoStart, LogsSince); false when the method is none of them.
bool app_methods(const method_call& c) {
  auto one = convert<api::app_summary>{[](auto& s) { return json::value(apps::to_json(s)); }};
  // a stop waits for the app to end (killed after its grace)
  const auto t = std::chrono::seconds{15};
  if (c.method == "app-visor.Apps") {
    c.forward_typed(t,
                    each<api::app_summary>([](auto& x) { return json::value(apps::to_json(x)); }),
                    api::app_ls_atom::value);
  } else if (c.method == "app-visor.StartApp" || c.method == "app-visor.StopApp") {
    auto n = app_name_param(c.params, "name");
    if (auto* b = std::get_if<bad_params>(&n))
      return c.refuse(b->text), true;
    if (c.method == "app-visor.StartApp")
      c.forward_typed(t, one, api::app_start_atom::value, std::get<std::string>(n));
    else
      c.forward_typed(t, one, api::app_stop_atom::value, std::get<std::string>(n));
  } else if (c.method == "app-visor.StartSkysocksClient") {
    // {"pk":<server>,"name":"skysocks-client","addr":"host:port","http":"host:port"}
    // (the reference passes the key alone; the rest is `cli proxy start`'s)
    const auto* pk = param(c.params, "pk");
    if (!pk || !pk->is_string() || !public_key::from_hex(pk->get_string()))
      return c.refuse("params.pk must be the skysocks server's public key"), true;
    std::string name = "skysocks-client";
    if (param(c.params, "name")) {
      auto n = app_name_param(c.params, "name");
      if (auto* b = std::get_if<bad_params>(&n))
        return c.refuse(b->text), true;
      name = std::get<std::string>(n);
    }
    std::vector<std::string> flags{"srv", std::string{pk->get_string()}};
    for (const char* key : {"addr", "http"}) {
      const auto* v = param(c.params, key);
      if (!v || v->is_null())
        continue;
      if (!v->is_string() || v->get_string().size() > 256
          || v->get_string().find_first_of(std::string_view{"\0\n\r", 3}) != json::string::npos)
        return c.refuse("params." + std::string{key} + " must be host:port"), true;
      flags.push_back(key);
      flags.emplace_back(v->get_string());
    }
    // a stop of the running client (up to its grace), the config, the start
    c.forward_typed(std::chrono::seconds{30}, one, api::app_run_with_atom::value, std::move(name),
                    std::string{"skysocks-client"}, std::move(flags));
  } else if (c.method == "app-visor.SetAutoStart") {
    // {"AppName":name,"AutoStart":bool} (the reference's SetAutoStartIn)
    auto n = app_name_param(c.params, "AppName");
    if (auto* b = std::get_if<bad_params>(&n))
      return c.refuse(b->text), true;
    const auto* on = param(c.params, "AutoStart");
    if (!on || !on->is_bool())
      return c.refuse("params.AutoStart must be true or false"), true;
    c.forward_typed(t, one, api::app_autostart_atom::value, std::get<std::string>(n),
                    on->get_bool());
  } else if (c.method == "app-visor.LogsSince") {
    // {"AppName":name,"TimeStamp":RFC 3339 | "beginning"}
    auto n = app_name_param(c.params, "AppName");
    if (auto* b = std::get_if<bad_params>(&n))
      return c.refuse(b->text), true;
    int64_t since = 0;
    if (const auto* ts = param(c.params, "TimeStamp"); ts && !ts->is_null()) {
      auto parsed =
          ts->is_string() ? apps::parse_rfc3339_ns(ts->get_string()) : std::optional<int64_t>{};
      if (!parsed)
        return c.refuse("params.TimeStamp must be an RFC 3339 time or \"beginning\""), true;
      since = *parsed;
    }
    c.forward_typed(t, each<std::string>([](auto& x) { return json::value(json::string_view{x}); }),
                    api::app_logs_atom::value, std::get<std::string>(n), since);
  } else {
    return false;
  }
  return true;
}

} // namespace skywire::visor::cli
