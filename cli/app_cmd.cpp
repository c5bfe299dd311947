// skywire cli visor app ls | start <name> | stop <name> | autostart <name> on|off |
// log <name> [--since RFC3339] (reference §7.4; the reference's own path
// `app arg autostart <name> true|false` too), each with --help, --json,
// --rpc ADDR and -c FILE. They call the visor's launcher methods (the
// reference's names: app-visor.Apps, StartApp, StopApp, SetAutoStart,
// LogsSince) over the CLI socket; autostart is written to the visor's config
// file (atomically) before it answers.
#include <iostream>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/visor_call.hpp"

namespace po = boost::program_options;
namespace json = boost::json;

namespace skywire::cli {

namespace {

/// The reference's columns (app, ports, auto_start, status) and the detailed
/// status (with the last error of an errored app).
void print_apps(const json::value& v) {
  std::vector<std::vector<std::string>> rows{
    {"app", "ports", "auto_start", "status", "detailed_status"}};
  std::vector<const json::value*> list;
  if (v.is_array())
    for (const auto& x : v.get_array())
      list.push_back(&x);
  else
    list.push_back(&v);
  for (const auto* x : list)
    rows.push_back({json_field(*x, "name"), json_field(*x, "port"), json_field(*x, "auto_start"),
                    json_field(*x, "state"), json_field(*x, "detailed_status")});
  print_table(rows);
}

/// Calls `method`; prints the app(s) (JSON with --json, else `human`).
int show(const visor_flags& c, const std::string& method, const json::object& params,
         void (*human)(const json::value&)) {
  int rc = 0;
  auto v = visor_call(c, method, params, rc, std::chrono::seconds(20));
  if (!v)
    return rc;
  if (c.json)
    std::cout << json::serialize(*v) << '\n';
  else
    human(*v);
  return exit_ok;
}

void print_ok(const json::value& v) {
  std::cout << json_field(v, "name") << ": " << json_field(v, "state") << " ("
            << json_field(v, "detailed_status") << ")\n";
}

int app_ls(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  auto desc = visor_options(argv0, " [options]",
                            "List the visor's apps (launcher.apps): routing port, auto_start, "
                            "state and detailed status.",
                            c);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  return show(c, "app-visor.Apps", {}, print_apps);
}

/// start/stop <name>
int app_named(const std::string& argv0, const std::vector<std::string>& args,
              const std::string& method, const char* what) {
  visor_flags c;
  std::string name;
  auto desc = visor_options(argv0, " <name> [options]", what, c);
  desc.add_options()("name", po::value(&name)->value_name("NAME"), "the app's name");
  po::positional_options_description pos;
  pos.add("name", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (name.empty())
    return usage_error(argv0, "an app name is required", desc);
  json::object params;
  params["name"] = name;
  return show(c, method, params, print_ok);
}

int app_start(const std::string& argv0, const std::vector<std::string>& args) {
  return app_named(argv0, args, "app-visor.StartApp",
                   "Start an app of launcher.apps (a crashed or stopped one too).");
}

int app_stop(const std::string& argv0, const std::vector<std::string>& args) {
  return app_named(argv0, args, "app-visor.StopApp",
                   "Stop an app; answers once it ended (killed after 5 s).");
}

std::optional<bool> parse_switch(const std::string& s) {
  if (s == "on" || s == "true" || s == "1" || s == "yes")
    return true;
  if (s == "off" || s == "false" || s == "0" || s == "no")
    return false;
  return std::nullopt;
}

int app_autostart(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string name, value;
  auto desc = visor_options(argv0, " <name> on|off [options]",
                            "Set whether the visor starts an app at boot. Written to the "
                            "visor's config file (atomically: the old file or the new one, "
                            "never a part) before the answer.",
                            c);
  desc.add_options()("name", po::value(&name)->value_name("NAME"), "the app's name")(
    "value", po::value(&value)->value_name("on|off"), "on|off (or true|false)");
  po::positional_options_description pos;
  pos.add("name", 1).add("value", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (name.empty())
    return usage_error(argv0, "an app name is required", desc);
  auto on = parse_switch(value);
  if (!on)
    return usage_error(argv0, "give on or off (true or false)", desc);
  json::object params;
  params["AppName"] = name;
  params["AutoStart"] = *on;
  return show(c, "app-visor.SetAutoStart", params, [](const json::value& v) {
    std::cout << json_field(v, "name") << ": auto_start " << json_field(v, "auto_start") << '\n';
  });
}

int app_log(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string name, since, pos_since;
  auto desc = visor_options(argv0, " <name> [<RFC3339|beginning>] [options]",
                            "The app's status and error lines (state changes, crashes, "
                            "restarts), oldest first; the visor keeps the last 256.",
                            c);
  desc.add_options()("name", po::value(&name)->value_name("NAME"), "the app's name")(
    "since", po::value(&since)->value_name("TIME"),
    "only lines at or after this RFC 3339 time (default: beginning)")(
    "at", po::value(&pos_since)->value_name("TIME"), "the same, positional (the reference's)");
  po::positional_options_description pos;
  pos.add("name", 1).add("at", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (name.empty())
    return usage_error(argv0, "an app name is required", desc);
  if (!since.empty() && !pos_since.empty())
    return usage_error(argv0, "give the time once", desc);
  json::object params;
  params["AppName"] = name;
  params["TimeStamp"] = since.empty() ? (pos_since.empty() ? "beginning" : pos_since) : since;
  return show(c, "app-visor.LogsSince", params, [](const json::value& v) {
    if (v.is_array())
      for (const auto& l : v.get_array())
        std::cout << (l.is_string() ? std::string{l.get_string()} : json::serialize(l)) << '\n';
  });
}

/// Test only: debug.crash {"actor": name} (the visor runs with
/// --enable-fault-injection); "app/<name>" crashes an app.
int debug_crash(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string actor;
  auto desc = visor_options(argv0, " <actor> [options]",
                            "Test only: crash a child of the visor (`visor actors`) or an app "
                            "(app/<name>); the visor must run with --enable-fault-injection.",
                            c);
  desc.add_options()("actor", po::value(&actor)->value_name("NAME"), "the child or app/<name>");
  po::positional_options_description pos;
  pos.add("actor", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (actor.empty())
    return usage_error(argv0, "name the actor to crash", desc);
  json::object params;
  params["actor"] = actor;
  int rc = 0;
  auto v = visor_call(c, "debug.crash", params, rc);
  if (!v)
    return rc;
  std::cout << (c.json ? json::serialize(*v) : json_field(json::object{{"r", *v}}, "r")) << '\n';
  return exit_ok;
}

const registrar debug_crash_cmd{
  command{"cli visor debug crash", "test only: crash a visor child or an app", debug_crash, true}};

} // namespace

SKYWIRE_CLI_COMMAND("cli visor app ls", "list apps", app_ls);
SKYWIRE_CLI_COMMAND("cli visor app start", "launch an app", app_start);
SKYWIRE_CLI_COMMAND("cli visor app stop", "halt an app", app_stop);
SKYWIRE_CLI_COMMAND("cli visor app autostart", "set an app's autostart (written to the config)",
                    app_autostart);
SKYWIRE_CLI_COMMAND("cli visor app arg autostart",
                    "set an app's autostart (the reference's path)", app_autostart);
SKYWIRE_CLI_COMMAND("cli visor app log", "an app's status and error lines since a time",
                    app_log);

} // namespace skywire::cli
