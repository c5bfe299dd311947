// skywire svc tpd | ar | sd | ut | sn | stun
//
// The control-plane services of `skywire svc …` (reference §7.5) as
// foreground processes, each until SIGINT/SIGTERM: the transport discovery
// (`tpd`), the address resolver (`ar`), the service discovery (`sd`), the
// uptime tracker (`ut`) and the route setup node (`sn`), with the
// reference's flag names where they apply, and a STUN server (`stun`) for
// networks that run their own services.
#include <algorithm>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <iterator>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <boost/asio/post.hpp>

#include "actors/dmsg/client.hpp"
#include "actors/services/address_resolver/service.hpp"
#include "actors/services/service_discovery/service.hpp"
#include "actors/services/uptime_tracker/service.hpp"
#include "actors/services/setup_node/config.hpp"
#include "actors/services/setup_node/setup_node.hpp"
#include "actors/services/stun/server.hpp"
#include "actors/services/transport_discovery/service.hpp"
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/service_process.hpp"
#include "cli/stop_signal.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/config/duration.hpp"
#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/actor_system.hpp"
#include "runtime/system/build_info.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

namespace {

namespace tpd = services::transport_discovery;
namespace ar = services::address_resolver;
namespace sd = services::service_discovery;
namespace ut = services::uptime_tracker;

/// "pk,pk,..." (spaces allowed around each key).
expected<std::vector<public_key>> parse_key_list(const std::string& text) {
  std::vector<public_key> out;
  std::stringstream in{text};
  for (std::string item; std::getline(in, item, ',');) {
    auto b = item.find_first_not_of(" \t");
    if (b == std::string::npos)
      continue;
    auto e = item.find_last_not_of(" \t");
    auto pk = public_key::from_hex(std::string_view{item}.substr(b, e - b + 1));
    if (!pk || pk->is_null())
      return make_error(wire_errc::bad_value, "not a public key: " + item);
    out.push_back(*pk);
  }
  return out;
}

/// --entry-timeout (a Go duration >= 0) and --whitelist-keys of tpd, ar and
/// sd into cfg.entry_ttl and cfg.whitelist: the usage error, "" when good.
template <class Config>
std::string read_expiry(const std::string& entry_timeout, const std::string& whitelist,
                        Config& cfg) {
  auto ttl = config::parse_go_duration(entry_timeout);
  if (!ttl || ttl->count() < 0)
    return "--entry-timeout: not a Go duration >= 0: " + entry_timeout;
  cfg.entry_ttl = *ttl;
  auto keys = parse_key_list(whitelist);
  if (!keys)
    return "--whitelist-keys: " + describe(keys.error());
  cfg.whitelist = std::move(*keys);
  return {};
}

int run_tpd(const std::string& argv0, const std::vector<std::string>& args) {
  std::string entry_timeout = "10m", whitelist;
  tpd::tpd_config cfg;
  service_command cmd{
    argv0,
    " [-a ADDR] [--entry-timeout DUR] [--whitelist-keys PK,...] [--sk SK]\n"
    "Runs a transport discovery (the reference's HTTP API, in-memory store) until\n"
    "SIGINT/SIGTERM. Registrations need httpauth and both edges' signatures.\n"
    "With --sk it also serves the API over dmsghttp (dmsg port 80).\n\noptions",
    ":9091"};
  cmd.desc.add_options()(
    "entry-timeout", po::value(&entry_timeout)->value_name("DUR"),
    "a transport expires unless re-registered within DUR (Go duration; 0 = never, as the "
    "reference; default 10m)")("whitelist-keys", po::value(&whitelist)->value_name("PK,..."),
                               "network monitors allowed to DELETE /transports/deregister")(
    "max-entries", po::value(&cfg.max_entries)->value_name("N"),
    "transports stored at most (default 1000000)")(
    "max-per-edge", po::value(&cfg.max_per_edge)->value_name("N"),
    "transports one key may be an edge of (default 1024)")(
    "new-burst", po::value(&cfg.new_burst)->value_name("N"),
    "new keys and transports one source address may register at once (default 256; 0 = no "
    "limit)")("new-per-minute", po::value(&cfg.new_per_minute)->value_name("N"),
              "then this many a minute (default 60)")(
    "max-connections", po::value(&cfg.max_connections)->value_name("N"),
    "concurrent HTTP connections (default 4096)");
  if (auto rc = cmd.parse(args))
    return *rc;
  cmd.configure(cfg);
  if (auto why = read_expiry(entry_timeout, whitelist, cfg); !why.empty())
    return cmd.usage_error(why);
  if (cfg.max_entries == 0 || cfg.max_per_edge == 0 || cfg.max_connections == 0
      || cfg.new_per_minute < 0)
    return cmd.usage_error("--max-entries, --max-per-edge and --max-connections must be > 0, "
                           "--new-per-minute >= 0");
  cfg.version = system::version();
  return run_http_service(
    argv0, "tpd", "transport discovery", cmd.start().dmsg,
    [&](caf::actor_system& sys, io::io_runtime& io) {
      return tpd::spawn_transport_discovery(sys, io, cfg);
    },
    [&](const tpd::tpd_handle& h) {
      SKYWIRE_LOG(info, "tpd", "transport discovery listening",
                  log::kv("addr", cfg.host + ":" + std::to_string(h.port)),
                  log::kv("entry_timeout", config::format_go_duration(cfg.entry_ttl)),
                  log::kv("network_monitors", cfg.whitelist.size()));
    });
}

/// The UDP listen addresses of `svc ar`: "off", or a comma-separated list of
/// [host]:port; empty = the HTTP address's host on the HTTP port and on 30178.
expected<std::vector<std::pair<std::string, uint16_t>>>
parse_udp_addresses(const std::string& text, const std::string& http_host, uint16_t http_port) {
  std::vector<std::pair<std::string, uint16_t>> out;
  if (text == "off")
    return out;
  if (text.empty()) {
    out.emplace_back(http_host, http_port);
    if (http_port != wire::transport::default_ar_udp_port)
      out.emplace_back(http_host, wire::transport::default_ar_udp_port);
    return out;
  }
  std::stringstream in{text};
  for (std::string item; std::getline(in, item, ',');) {
    auto l = http::parse_listen_address(item);
    if (!l)
      return make_error(wire_errc::bad_value, "not a listen address: " + item);
    out.emplace_back(l->host.empty() ? http_host : l->host, l->port);
  }
  if (out.empty() || out.size() > 8)
    return make_error(wire_errc::bad_value, "expected 1 to 8 addresses, or off");
  return out;
}

int run_ar(const std::string& argv0, const std::vector<std::string>& args) {
  std::string entry_timeout = "11m", whitelist, udp_addr;
  bool testing = false;
  ar::ar_config cfg;
  ar::ar_udp_settings udp;
  service_command cmd{
    argv0,
    " [-a ADDR] [--udp-addr ADDRS] [-t] [--entry-timeout DUR] [--whitelist-keys PK,...]\n"
    "Runs an address resolver (the reference's HTTP API and its sudph UDP/KCP side\n"
    "channel, in-memory store) until SIGINT/SIGTERM. Binds and resolves need httpauth.\n"
    "Private, loopback and container-bridge addresses are never handed to peers\n"
    "elsewhere (-t: every address counts as public, for tests and LAN deployments).\n"
    "With --sk it also serves the HTTP API over dmsghttp (dmsg port 80).\n\n"
    "options",
    ":9093", "HTTP listen address"};
  cmd.desc.add_options()(
    "udp-addr", po::value(&udp_addr)->value_name("ADDRS"),
    "UDP listen addresses of the sudph side, comma-separated, or off (default: the HTTP "
    "address's host on its port and on 30178, the port visors use when the resolver's URL "
    "names none)")(
    "testing,t", po::bool_switch(&testing),
    "test mode: loopback and private addresses count as public (stcpr binds from them are "
    "accepted, sudph bindings behind them are handed out)")(
    "entry-timeout", po::value(&entry_timeout)->value_name("DUR"),
    "a stcpr binding expires unless re-bound within DUR (Go duration; 0 = never, as the "
    "reference v1.3.20; default 11m)")(
    "whitelist-keys", po::value(&whitelist)->value_name("PK,..."),
    "network monitors allowed to DELETE /deregister/{network}")(
    "max-bindings", po::value(&cfg.max_bindings)->value_name("N"),
    "bindings stored per type at most (default 1000000)")(
    "max-per-source", po::value(&cfg.max_per_source)->value_name("N"),
    "bindings per type one source address may hold (default 64)")(
    "new-burst", po::value(&cfg.new_burst)->value_name("N"),
    "new keys and stcpr bindings one source address may make at once (default 256; 0 = no "
    "limit)")("new-per-minute", po::value(&cfg.new_per_minute)->value_name("N"),
              "then this many a minute (default 60)")(
    "max-connections", po::value(&cfg.max_connections)->value_name("N"),
    "concurrent HTTP connections (default 4096)")(
    "max-sudph-channels", po::value(&udp.table.max_channels)->value_name("N"),
    "sudph control channels at most (default 32768)");
  if (auto rc = cmd.parse(args))
    return *rc;
  cmd.configure(cfg);
  auto udp_list = parse_udp_addresses(udp_addr, cfg.host, cfg.port);
  if (!udp_list)
    return cmd.usage_error("--udp-addr: " + describe(udp_list.error()));
  cfg.udp = std::move(*udp_list);
  if (auto why = read_expiry(entry_timeout, whitelist, cfg); !why.empty())
    return cmd.usage_error(why);
  if (cfg.max_bindings == 0 || cfg.max_per_source == 0 || cfg.max_connections == 0
      || udp.table.max_channels == 0 || cfg.new_per_minute < 0)
    return cmd.usage_error("--max-bindings, --max-per-source, --max-connections and "
                           "--max-sudph-channels must be > 0, --new-per-minute >= 0");
  cfg.test_mode = testing;
  cfg.version = system::version();
  return run_http_service(
    argv0, "ar", "address resolver", cmd.start().dmsg,
    [&](caf::actor_system& sys, io::io_runtime& io) {
      return ar::spawn_address_resolver(sys, io, cfg, udp);
    },
    [&](const ar::ar_handle& h) {
      std::string udp_text;
      for (size_t i = 0; i < h.udp_ports.size(); ++i) {
        if (i > 0)
          udp_text += ',';
        udp_text += cfg.udp[i].first + ":" + std::to_string(h.udp_ports[i]);
      }
      SKYWIRE_LOG(info, "ar", "address resolver listening",
                  log::kv("addr", cfg.host + ":" + std::to_string(h.port)),
                  log::kv("udp", udp_text.empty() ? std::string{"off"} : udp_text),
                  log::kv("test_mode", cfg.test_mode),
                  log::kv("entry_timeout", config::format_go_duration(cfg.entry_ttl)),
                  log::kv("network_monitors", cfg.whitelist.size()));
    });
}

int run_sn(const std::string& argv0, const std::vector<std::string>& args) {
  std::string config_path, loglvl, request_timeout = "30s", hop_timeout = "10s";
  bool from_stdin = false;
  namespace sn = services::setup_node;
  sn::setup_node_config cfg;
  po::options_description desc{
    "usage: " + argv0
    + " [CONFIG] [-i] [-l LEVEL] [--request-timeout DUR] [--hop-timeout DUR] [--max-hops N]\n"
      "Runs a route setup node until SIGINT/SIGTERM: Go net/rpc SetupRPCGateway.DialRouteGroup\n"
      "on dmsg port 36; it reserves route ids and installs rules at the visors of each route\n"
      "on their dmsg port 136. CONFIG (or -i: standard input) is the reference's JSON:\n"
      "{\"public_key\",\"secret_key\",\"dmsg\":{\"discovery\",\"sessions_count\",\"servers\"},\n"
      "\"transport_discovery\",\"log_level\"}.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "config", po::value(&config_path)->value_name("CONFIG"), "the configuration file")(
    "stdin,i", po::bool_switch(&from_stdin), "read the configuration from standard input")(
    "loglvl,l", po::value(&loglvl)->value_name("LEVEL"),
    "log level (default: the config's log_level, else info)")(
    "request-timeout", po::value(&request_timeout)->value_name("DUR"),
    "deadline of one route setup (Go duration, default 30s, as the reference)")(
    "hop-timeout", po::value(&hop_timeout)->value_name("DUR"),
    "deadline of one step at one visor: dial + call (default 10s)")(
    "max-hops", po::value(&cfg.max_hops)->value_name("N"), "hops per path at most (default 50)")(
    "max-requests", po::value(&cfg.max_requests)->value_name("N"),
    "routes being set up at once (default 1024)");
  po::positional_options_description pos;
  pos.add("config", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  auto usage_error = [&](const std::string& why) {
    std::cerr << argv0 << ": " << why << '\n';
    return exit_usage;
  };
  if (from_stdin == !config_path.empty())
    return usage_error("give either CONFIG or -i");
  std::string text;
  {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (!from_stdin) {
      file.open(config_path, std::ios::binary);
      if (!file)
        return usage_error("cannot read " + config_path);
      in = &file;
    }
    std::istreambuf_iterator<char> it{*in}, end;
    for (; it != end && text.size() <= sn::max_config_size; ++it)
      text.push_back(*it);
  }
  auto file_cfg = sn::parse_node_config(text);
  if (!file_cfg)
    return usage_error(describe(file_cfg.error()));
  if (!apply_log_level(loglvl.empty() ? file_cfg->log_level : loglvl))
    return exit_usage;
  auto rt = config::parse_go_duration(request_timeout);
  auto ht = config::parse_go_duration(hop_timeout);
  if (!rt || rt->count() <= 0 || !ht || ht->count() <= 0)
    return usage_error("--request-timeout and --hop-timeout must be Go durations > 0");
  cfg.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*rt);
  cfg.hop_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*ht);
  if (cfg.max_hops == 0 || cfg.max_requests == 0)
    return usage_error("--max-hops and --max-requests must be > 0");

  raise_nofile();
  block_stop_signals();
  io::io_runtime io{1};
  caf::actor_system_config caf_cfg;
  system::configure(caf_cfg);
  caf::actor_system sys{caf_cfg};
  auto client = dmsg::spawn_dmsg_client(sys, io, file_cfg->dmsg);
  auto node = sn::spawn_setup_node(sys, client, cfg);
  caf::error err;
  {
    caf::scoped_actor self{sys};
    self->request(node, std::chrono::seconds(15), api::ready_atom::value)
      .receive([](api::ok_atom) {}, [&](caf::error& e) { err = std::move(e); });
  }
  auto shutdown = [&] {
    caf::scoped_actor self{sys};
    self->send_exit(node, caf::exit_reason::user_shutdown);
    self->request(client, std::chrono::seconds(3), api::close_atom::value)
      .receive([](api::ok_atom) {}, [&](caf::error&) {
        self->send_exit(client, caf::exit_reason::user_shutdown);
      });
  };
  if (err) {
    std::cerr << argv0 << ": cannot listen on dmsg port " << cfg.port << ": " << describe(err) << '\n';
    shutdown();
    io.stop();
    return exit_failure;
  }
  SKYWIRE_LOG(info, "sn", "setup node running", log::kv("pk", file_cfg->dmsg.pk),
              log::kv("port", cfg.port),
              log::kv("request_timeout", config::format_go_duration(*rt)));
  wait_for_stop();
  shutdown();
  io.stop();
  SKYWIRE_LOG(info, "sn", "setup node stopped");
  return exit_ok;
}

int run_sd(const std::string& argv0, const std::vector<std::string>& args) {
  std::string entry_timeout = "15m", whitelist;
  bool testing = false;
  sd::sd_config cfg;
  service_command cmd{
    argv0,
    " [-a ADDR] [--entry-timeout DUR] [-t] [--whitelist-keys PK,...] [--sk SK]\n"
    "Runs a service discovery (the reference's HTTP API, in-memory store) until\n"
    "SIGINT/SIGTERM. Registrations and deletions need httpauth by the key of the\n"
    "service's address. Entries expire unless registered again within the entry\n"
    "timeout (the reference keeps them forever). With --sk it also serves the API\n"
    "over dmsghttp (dmsg port 80).\n\noptions",
    ":9098"};
  cmd.desc.add_options()(
    "entry-timeout", po::value(&entry_timeout)->value_name("DUR"),
    "a service expires unless registered again within DUR (Go duration; 0 = never, as the "
    "reference; default 15m)")("testing,t", po::bool_switch(&testing),
                               "test mode: visor entries from loopback and private addresses are "
                               "accepted")(
    "whitelist-keys", po::value(&whitelist)->value_name("PK,..."),
    "network monitors allowed to DELETE /api/services/deregister/{type}")(
    "max-entries", po::value(&cfg.max_entries)->value_name("N"),
    "services stored at most (default 100000)")(
    "max-per-key", po::value(&cfg.max_per_key)->value_name("N"),
    "services one key may hold (default 16)")(
    "new-burst", po::value(&cfg.new_burst)->value_name("N"),
    "new keys and services one source address may register at once (default 64; 0 = no "
    "limit)")("new-per-minute", po::value(&cfg.new_per_minute)->value_name("N"),
              "then this many a minute (default 30)")(
    "list-limit", po::value(&cfg.list_limit)->value_name("N"),
    "entries in one list answer; longer matches are sampled (default 1000)")(
    "max-connections", po::value(&cfg.max_connections)->value_name("N"),
    "concurrent HTTP connections (default 4096)");
  if (auto rc = cmd.parse(args))
    return *rc;
  cmd.configure(cfg);
  if (auto why = read_expiry(entry_timeout, whitelist, cfg); !why.empty())
    return cmd.usage_error(why);
  if (cfg.max_entries == 0 || cfg.max_per_key == 0 || cfg.max_connections == 0
      || cfg.list_limit == 0 || cfg.new_per_minute < 0)
    return cmd.usage_error("--max-entries, --max-per-key, --list-limit and --max-connections must "
                           "be > 0, --new-per-minute >= 0");
  cfg.test_mode = testing;
  cfg.version = system::version();
  return run_http_service(
    argv0, "sd", "service discovery", cmd.start().dmsg,
    [&](caf::actor_system& sys, io::io_runtime& io) {
      return sd::spawn_service_discovery(sys, io, cfg);
    },
    [&](const services::http_service_handle& h) {
      SKYWIRE_LOG(info, "sd", "service discovery listening",
                  log::kv("addr", cfg.host + ":" + std::to_string(h.port)),
                  log::kv("entry_timeout", config::format_go_duration(cfg.entry_ttl)),
                  log::kv("test_mode", cfg.test_mode),
                  log::kv("network_monitors", cfg.whitelist.size()));
    });
}

int run_ut(const std::string& argv0, const std::vector<std::string>& args) {
  bool testing = false;
  ut::ut_config cfg;
  service_command cmd{
    argv0,
    " [-a ADDR] [-t] [--retention-days N] [--sk SK]\n"
    "Runs an uptime tracker (the reference's HTTP API, in-memory store) until\n"
    "SIGINT/SIGTERM. Visors call GET /v4/update (httpauth) every 5 minutes; each\n"
    "call credits the 5-minute interval it falls in. /uptimes?v=v2 lists the daily\n"
    "percentages, /uptime/{pk}/timeline the intervals of one day (they agree).\n"
    "With --sk it also serves the API over dmsghttp (dmsg port 80).\n\noptions",
    ":9096"};
  cmd.desc.add_options()(
    "testing,t", po::bool_switch(&testing),
    "test mode: loopback and private caller addresses are recorded as the visor's IP")(
    "retention-days", po::value(&cfg.retention_days)->value_name("N"),
    "days of intervals kept per visor, today included (default 8)")(
    "max-visors", po::value(&cfg.max_visors)->value_name("N"),
    "visors tracked at most (default 200000)")(
    "list-per-minute", po::value(&cfg.list_per_minute)->value_name("N"),
    "/uptimes and /visors requests a minute per source address (default 5, as the reference)")(
    "max-connections", po::value(&cfg.max_connections)->value_name("N"),
    "concurrent HTTP connections (default 4096)");
  if (auto rc = cmd.parse(args))
    return *rc;
  cmd.configure(cfg);
  if (cfg.retention_days == 0 || cfg.retention_days > 400 || cfg.max_visors == 0
      || cfg.max_connections == 0 || cfg.list_per_minute <= 0)
    return cmd.usage_error("--retention-days must be 1..400, --max-visors, --max-connections and "
                           "--list-per-minute > 0");
  cfg.list_burst = static_cast<size_t>(std::max(1.0, cfg.list_per_minute));
  cfg.test_mode = testing;
  cfg.version = system::version();
  return run_http_service(
    argv0, "ut", "uptime tracker", cmd.start().dmsg,
    [&](caf::actor_system& sys, io::io_runtime& io) {
      return ut::spawn_uptime_tracker(sys, io, cfg);
    },
    [&](const services::http_service_handle& h) {
      SKYWIRE_LOG(info, "ut", "uptime tracker listening",
                  log::kv("addr", cfg.host + ":" + std::to_string(h.port)),
                  log::kv("retention_days", cfg.retention_days),
                  log::kv("test_mode", cfg.test_mode));
    });
}

int run_stun(const std::string& argv0, const std::vector<std::string>& args) {
  std::string addr, other, loglvl = "info";
  services::stun::stun_server_config cfg;
  po::options_description desc{
    "usage: " + argv0
    + " -a IP:PORT [--other IP:PORT] [--burst N] [--per-minute N]\n"
      "Runs a STUN server (RFC 5389 binding requests) until SIGINT/SIGTERM, for the\n"
      "NAT-type test visors run before they offer sudph (`stun_servers` in their\n"
      "config). The test needs a second address: with --other the server also\n"
      "answers from another IP and port of this host (CHANGE-REQUEST); without it\n"
      "clients learn their public address but not their NAT type.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "addr,a", po::value(&addr)->value_name("IP:PORT"),
    "the primary address: an IP of this host, not a wildcard (3478 is STUN's port)")(
    "other", po::value(&other)->value_name("IP:PORT"),
    "the alternate address: another IP of this host and another port (e.g. 3479)")(
    "loglvl,l", po::value(&loglvl)->value_name("LEVEL"),
    "log level: trace, debug, info, warn, error, fatal (default info)")(
    "burst", po::value(&cfg.budget.burst)->value_name("N"),
    "answers one source IP may get at once (default 64; 0 = no limit)")(
    "per-minute", po::value(&cfg.budget.per_minute)->value_name("N"),
    "then this many a minute (default 600)");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if (!apply_log_level(loglvl))
    return exit_usage;
  auto usage_error = [&](const std::string& why) {
    std::cerr << argv0 << ": " << why << '\n';
    return exit_usage;
  };
  if (addr.empty())
    return usage_error("-a IP:PORT is required (answers must leave from the address asked)");
  auto listen = http::parse_listen_address(addr);
  if (!listen || listen->host.empty())
    return usage_error("-a: not IP:PORT: " + addr);
  cfg.host = listen->host;
  cfg.port = listen->port;
  if (!other.empty()) {
    auto o = http::parse_listen_address(other);
    if (!o || o->host.empty())
      return usage_error("--other: not IP:PORT: " + other);
    cfg.other_host = o->host;
    cfg.other_port = o->port;
  }
  if (cfg.budget.per_minute < 0)
    return usage_error("--per-minute must be >= 0");

  block_stop_signals();
  io::io_runtime io{1};
  auto server = services::stun::stun_server::open(io.context(), cfg);
  if (!server) {
    std::cerr << argv0 << ": " << describe(server.error()) << '\n';
    return exit_failure;
  }
  auto& srv = **server;
  boost::asio::post(io.context(), [&srv] { srv.start(); });
  auto text = [](const boost::asio::ip::udp::endpoint& ep) {
    auto ip = ep.address().to_string();
    return (ep.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(ep.port());
  };
  auto alt = srv.other();
  SKYWIRE_LOG(info, "stun", "stun server listening", log::kv("addr", text(srv.primary())),
              log::kv("other", alt ? text(*alt) : std::string{"none"}));
  wait_for_stop();
  std::promise<void> closed;
  boost::asio::post(io.context(), [&] {
    srv.close();
    closed.set_value();
  });
  closed.get_future().wait();
  io.stop();
  auto& st = srv.stats();
  SKYWIRE_LOG(info, "stun", "stun server stopped", log::kv("requests", st.requests.load()),
              log::kv("answered", st.answered.load()), log::kv("malformed", st.malformed.load()),
              log::kv("over_budget", st.over_budget.load()));
  return exit_ok;
}

} // namespace

SKYWIRE_CLI_COMMAND("svc tpd", "run a transport discovery", run_tpd);
SKYWIRE_CLI_COMMAND("svc ar", "run an address resolver", run_ar);
SKYWIRE_CLI_COMMAND("svc sd", "run a service discovery", run_sd);
SKYWIRE_CLI_COMMAND("svc ut", "run an uptime tracker", run_ut);
SKYWIRE_CLI_COMMAND("svc sn", "run a route setup node", run_sn);
SKYWIRE_CLI_COMMAND("svc stun", "run a STUN server (NAT-type tests)", run_stun);

} // namespace skywire::cli
