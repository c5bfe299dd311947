// skywire cli proxy list | start | status | stop (reference §7.4, §5.5).
//
// list talks to the service discovery directly over HTTP
// (GET /api/services?type=proxy[&version=V][&country=CC], strict and bounded:
// messages/wire/service_discovery.hpp) and keeps only the servers whose
// visor the uptime tracker reports online (GET /uptimes?v=v2&visors=…),
// unless -o. start, status and stop call the visor over its CLI socket:
// StartSkysocksClient (--srv, and --addr / --http, set in the app's args,
// written to the config file atomically, then the app (re)started), Apps
// (status: the skysocks-client instances), StopApp.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>
#include <string_view>
#include <thread>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "actors/apps/app_flags.hpp"
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/visor_call.hpp"
#include "messages/wire/service_discovery.hpp"
#include "runtime/config/errors.hpp"
#include "runtime/config/registry.hpp"
#include "runtime/http/client.hpp"

namespace po = boost::program_options;
namespace json = boost::json;

namespace skywire::cli {

namespace {

constexpr const char* client_app = "skysocks-client";
/// The reference's production services (§1.3), used when neither a flag
/// nor a config names one.
constexpr const char* default_sd = "http://sd.skycoin.com";
constexpr const char* default_ut = "http://ut.skywire.skycoin.com";
/// The most keys asked in one ?visors= (the tracker's own cap is 1000);
/// beyond, the whole online list is read (?status=on).
constexpr size_t max_visor_filter = 500;

// ---- list ----------------------------------------------------------------------------------

/// One GET; the failure printed with what it was for.
std::optional<std::string> http_get(const std::string& url, const char* what) {
  auto req = http::make_client_request(http::verb::get, url, {});
  if (!req) {
    std::cerr << "skywire cli proxy list: bad " << what << " URL " << url << ": "
              << describe(req.error()) << '\n';
    return std::nullopt;
  }
  req->timeout = std::chrono::seconds(20);
  req->response_limit = wire::max_service_list_json * 4;
  auto r = http::request_sync(std::move(*req));
  if (!r) {
    std::cerr << "skywire cli proxy list: " << what << " " << url << ": "
              << describe(r.error()) << '\n';
    return std::nullopt;
  }
  if (r->status != 200) {
    std::cerr << "skywire cli proxy list: " << what << " " << url << " answered " << r->status
              << ": " << r->body.substr(0, 512) << '\n';
    return std::nullopt;
  }
  return std::move(r->body);
}

/// "?k=v" query values: letters, digits and ".-_" only pass as they are.
bool plain_query_value(std::string_view v) {
  return v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
         });
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/')
    s.pop_back();
  return s;
}

/// The online keys among `keys`, from the tracker's v2 list.
std::optional<std::set<std::string>> online_keys(const std::string& ut,
                                                 const std::set<std::string>& keys) {
  std::string url = ut + "/uptimes?v=v2&status=on";
  if (keys.size() <= max_visor_filter) {
    url += "&visors=";
    bool first = true;
    for (const auto& k : keys) {
      url += (first ? "" : ",") + k;
      first = false;
    }
  }
  auto body = http_get(url, "uptime tracker");
  if (!body)
    return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(*body, ec);
  if (!ec && v.is_null()) // the tracker's empty v2 answer
    return std::set<std::string>{};
  if (ec || !v.is_array()) {
    std::cerr << "skywire cli proxy list: uptime tracker " << url
              << ": the answer is not a JSON array\n";
    return std::nullopt;
  }
  std::set<std::string> on;
  for (const auto& x : v.get_array()) {
    if (!x.is_object())
      continue;
    const auto* pk = x.get_object().if_contains("pk");
    const auto* o = x.get_object().if_contains("on");
    if (pk && pk->is_string() && o && o->is_bool() && o->get_bool())
      on.emplace(pk->get_string());
  }
  return on;
}

int list(const std::string& argv0, const std::vector<std::string>& args) {
  std::string country, version, pk, sd, ut, config_file;
  bool all = false, as_json = false;
  const std::string sd_help =
    "service discovery (default: launcher.service_discovery of the config, else "
    + std::string{default_sd} + ")";
  const std::string ut_help = "uptime tracker (default: uptime_tracker.addr of the config, else "
                              + std::string{default_ut} + ")";
  po::options_description desc{
    "usage: " + argv0
    + " [options]\nThe SOCKS5 proxy servers (skysocks) the service discovery lists, keeping "
      "those whose visor the uptime tracker reports online (unless -o).\n\noptions"};
  desc.add_options()("help,h", "show this help")("json", po::bool_switch(&as_json),
                                                 "print JSON instead of a table")(
    "country,c", po::value(&country)->value_name("CC"), "only servers in this country (geo)")(
    "version,v", po::value(&version)->value_name("V"), "only servers of this version")(
    "pk,k", po::value(&pk)->value_name("PK"), "only the server of this visor")(
    "not-only-online,o", po::bool_switch(&all),
    "list every registered server, without asking the uptime tracker")(
    "sd,a", po::value(&sd)->value_name("URL"),
    sd_help.c_str())(
    "ut,w", po::value(&ut)->value_name("URL"),
    ut_help.c_str())(
    "config", po::value(&config_file)->value_name("FILE"),
    "read the URLs from this config (default: ./skywire-config.json when it exists)");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if (!plain_query_value(country) || !plain_query_value(version))
    return usage_error(argv0, "-c and -v take letters, digits, '.', '-' and '_' only", desc);
  if (!pk.empty() && !public_key::from_hex(pk))
    return usage_error(argv0, "-k must be a public key (66 hex digits)", desc);
  if (sd.empty() || ut.empty()) {
    std::error_code fec;
    if (config_file.empty() && std::filesystem::exists("skywire-config.json", fec))
      config_file = "skywire-config.json";
    if (!config_file.empty()) {
      auto cfg = config::load_file(config_file);
      if (!cfg) {
        std::cerr << "skywire cli proxy list: " << config::message(cfg.error()) << '\n';
        return exit_failure;
      }
      if (sd.empty())
        sd = cfg->launcher.service_discovery;
      if (ut.empty() && cfg->uptime_tracker)
        ut = cfg->uptime_tracker->addr;
    }
    if (sd.empty())
      sd = default_sd;
    if (ut.empty())
      ut = default_ut;
  }
  for (const auto* u : {&sd, &ut})
    if (u->starts_with("dmsg://")) {
      std::cerr << "skywire cli proxy list: " << *u
                << " is a dmsghttp address; give an http:// URL (--sd, --ut)\n";
      return exit_failure;
    }
  sd = trim_slash(sd);
  ut = trim_slash(ut);

  std::string url = sd + "/api/services?type=proxy";
  if (!version.empty())
    url += "&version=" + version;
  if (!country.empty())
    url += "&country=" + country;
  auto body = http_get(url, "service discovery");
  if (!body)
    return exit_failure;
  auto services = wire::decode_service_list(*body);
  if (!services) {
    std::cerr << "skywire cli proxy list: service discovery " << url << ": "
              << describe(services.error()) << '\n';
    return exit_failure;
  }
  std::vector<wire::service_entry> found;
  for (auto& s : *services)
    if (pk.empty() || s.pk.hex() == pk)
      found.push_back(std::move(s));

  std::optional<std::set<std::string>> online;
  if (!all && !found.empty()) {
    std::set<std::string> keys;
    for (const auto& s : found)
      keys.insert(s.pk.hex());
    online = online_keys(ut, keys);
    if (!online) {
      std::cerr << "skywire cli proxy list: cannot tell which servers are online; -o lists "
                   "them all without the uptime tracker\n";
      return exit_failure;
    }
    std::erase_if(found, [&](const auto& s) { return !online->contains(s.pk.hex()); });
  }

  if (as_json) {
    json::array out;
    for (const auto& s : found) {
      auto o = json::parse(wire::encode_service(s)).as_object();
      if (online)
        o["online"] = true;
      out.emplace_back(std::move(o));
    }
    std::cout << json::serialize(out) << '\n';
    return exit_ok;
  }
  if (found.empty()) {
    std::cout << "no proxy servers found\n";
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{{"address", "version", "country", "online"}};
  for (const auto& s : found)
    rows.push_back({s.pk.hex() + ":" + std::to_string(s.prt.value),
                    s.version.empty() ? "-" : s.version,
                    s.geo && !s.geo->country.empty() ? s.geo->country : "-",
                    online ? "yes" : "not checked"});
  print_table(rows);
  return exit_ok;
}

std::optional<std::vector<json::value>> clients(const visor_flags& c, int& rc);

// ---- start ---------------------------------------------------------------------------------

/// The value of an app's flag, "" when absent.
std::string arg_of(const json::value& app, const char* flag) {
  std::vector<std::string> args;
  if (const auto* a = app.is_object() ? app.get_object().if_contains("args") : nullptr;
      a && a->is_array())
    for (const auto& x : a->get_array())
      if (x.is_string())
        args.emplace_back(x.get_string());
  auto v = apps::flag_value(args, flag);
  return v && *v ? **v : std::string{};
}

/// What status shows of one skysocks-client instance.
json::object client_status(const json::value& app) {
  json::object o;
  o["name"] = json_field(app, "name");
  o["state"] = json_field(app, "state");
  o["detailed_status"] = json_field(app, "detailed_status");
  o["server"] = arg_of(app, "srv");
  auto addr = arg_of(app, "addr");
  o["addr"] = addr.empty() ? "127.0.0.1:1080" : addr;
  o["http"] = arg_of(app, "http");
  o["port"] = app.is_object() && app.get_object().contains("port") ? app.at("port") : json::value{};
  // the client reports "Running" once its route and listener are up
  o["connected"] = json_field(app, "state") == "running" && json_field(app, "detailed_status") == "Running";
  o["error"] = json_field(app, "error") == "-" ? "" : json_field(app, "error");
  return o;
}

void print_client(const json::object& o) {
  std::cout << o.at("name").as_string() << ": " << o.at("state").as_string() << " ("
            << o.at("detailed_status").as_string() << "), server " << o.at("server").as_string()
            << ", SOCKS5 on " << o.at("addr").as_string();
  if (!o.at("http").as_string().empty())
    std::cout << ", HTTP proxy on " << o.at("http").as_string();
  std::cout << '\n';
}

int start(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string pk, addr, http_addr, name = client_app;
  int wait_s = 0;
  auto desc = visor_options(
    argv0, " -k <pk> [-a addr] [--http addr] [-n name] [-t seconds] [options]",
    "Start the SOCKS5 proxy client (skysocks-client) to the skysocks server of visor <pk>. "
    "Its --srv (and --addr, --http) are set in launcher.apps and written to the visor's config "
    "file (atomically); a running client is restarted. -n starts another instance (a new "
    "launcher.apps entry on a free routing port).",
    c);
  desc.add_options()("pk,k", po::value(&pk)->value_name("PK"), "the server's visor")(
    "addr,a", po::value(&addr)->value_name("HOST:PORT"),
    "local SOCKS5 address (default: the app's, else 127.0.0.1:1080)")(
    "http", po::value(&http_addr)->value_name("HOST:PORT"), "also an HTTP proxy on this address")(
    "name,n", po::value(&name)->value_name("NAME"), "the instance (default skysocks-client)")(
    "timeout,t", po::value(&wait_s)->value_name("SECONDS"),
    "wait up to this long until the client is connected (default 0: do not wait)");
  po::positional_options_description pos;
  pos.add("pk", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (pk.empty())
    return usage_error(argv0, "-k <pk> is required", desc);
  if (!public_key::from_hex(pk))
    return usage_error(argv0, "-k must be a public key (66 hex digits)", desc);
  json::object params;
  params["pk"] = pk;
  params["name"] = name;
  if (!addr.empty())
    params["addr"] = addr;
  if (!http_addr.empty())
    params["http"] = http_addr;
  if (wait_s < 0 || wait_s > 3600)
    return usage_error(argv0, "-t must be 0..3600 seconds", desc);
  int rc = 0;
  auto v = visor_call(c, "app-visor.StartSkysocksClient", params, rc, std::chrono::seconds(40));
  if (!v)
    return rc;
  auto o = client_status(*v);
  // -t: the visor has no event for "connected" to wait on; a bounded poll of
  // its app list
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  while (wait_s > 0 && !o.at("connected").as_bool()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "skywire cli proxy start: " << name << " not connected after " << wait_s
                << " s (" << o.at("detailed_status").as_string() << ")\n";
      return exit_failure;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto list = clients(c, rc);
    if (!list)
      return rc;
    for (const auto& x : *list)
      if (json_field(x, "name") == name)
        o = client_status(x);
  }
  if (c.json)
    std::cout << json::serialize(o) << '\n';
  else
    print_client(o);
  return exit_ok;
}

// ---- status, stop --------------------------------------------------------------------------

/// The skysocks-client instances of Apps; nullopt when the call failed.
std::optional<std::vector<json::value>> clients(const visor_flags& c, int& rc) {
  auto v = visor_call(c, "app-visor.Apps", {}, rc);
  if (!v)
    return std::nullopt;
  std::vector<json::value> out;
  for (const auto* x : json_items(*v))
    if (json_field(*x, "app") == client_app)
      out.push_back(*x);
  return out;
}

int status(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  auto desc = visor_options(argv0, " [options]",
                            "The proxy clients (skysocks-client instances): state, server, local "
                            "address, and whether connected.",
                            c);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  int rc = 0;
  auto list = clients(c, rc);
  if (!list)
    return rc;
  if (c.json) {
    json::array a;
    for (const auto& x : *list)
      a.emplace_back(client_status(x));
    std::cout << json::serialize(a) << '\n';
    return exit_ok;
  }
  if (list->empty()) {
    std::cout << "no proxy client configured (start one: skywire cli proxy start -k <pk>)\n";
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{
    {"name", "state", "connected", "server", "addr", "http", "detailed_status"}};
  for (const auto& x : *list) {
    auto o = client_status(x);
    auto str = [&](const char* k) {
      const auto& s = o.at(k).as_string();
      return s.empty() ? std::string{"-"} : std::string{s};
    };
    rows.push_back({str("name"), str("state"), o.at("connected").as_bool() ? "yes" : "no",
                    str("server"), str("addr"), str("http"), str("detailed_status")});
  }
  print_table(rows);
  return exit_ok;
}

int stop(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string name;
  bool all = false;
  auto desc = visor_options(argv0, " [--name n | --all] [options]",
                            "Stop the proxy client (skysocks-client, or the instance --name), "
                            "or every instance (--all).",
                            c);
  desc.add_options()("name,n", po::value(&name)->value_name("NAME"),
                     "the instance (default skysocks-client)")(
    "all", po::bool_switch(&all), "every skysocks-client instance");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if (all && !name.empty())
    return usage_error(argv0, "--name or --all, not both", desc);
  std::vector<std::string> names;
  int rc = 0;
  if (all) {
    auto list = clients(c, rc);
    if (!list)
      return rc;
    for (const auto& x : *list)
      if (auto s = json_field(x, "state"); s == "running" || s == "starting")
        names.push_back(json_field(x, "name"));
  } else {
    names.push_back(name.empty() ? client_app : name);
  }
  json::array stopped;
  for (const auto& n : names) {
    json::object params;
    params["name"] = n;
    auto v = visor_call(c, "app-visor.StopApp", params, rc, std::chrono::seconds(20));
    if (!v)
      return rc;
    auto o = client_status(*v);
    if (!c.json)
      std::cout << n << ": " << o.at("state").as_string() << '\n';
    stopped.emplace_back(std::move(o));
  }
  if (c.json)
    std::cout << json::serialize(stopped) << '\n';
  else if (names.empty())
    std::cout << "no proxy client was running\n";
  return exit_ok;
}

} // namespace

SKYWIRE_CLI_COMMAND("cli proxy list", "SOCKS5 proxy servers from the service discovery, online ones",
                    list);
SKYWIRE_CLI_COMMAND("cli proxy start", "start the proxy client to a server", start);
SKYWIRE_CLI_COMMAND("cli proxy status", "the proxy clients' state", status);
SKYWIRE_CLI_COMMAND("cli proxy stop", "stop the proxy client(s)", stop);

} // namespace skywire::cli
