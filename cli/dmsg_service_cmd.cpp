// skywire dmsg disc | server config gen | server start | local
//
// The dmsg control plane as foreground processes: a discovery, a server, or
// both together on loopback (`local`, the embedded deployment used by tests
// and scripts/run-local.sh). Each runs until SIGINT/SIGTERM.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/services/dmsg_discovery.hpp"
#include "actors/services/dmsg_server.hpp"
#include "cli/command.hpp"
#include "cli/local_deployment.hpp"
#include "cli/options.hpp"
#include "cli/service_process.hpp"
#include "cli/stop_signal.hpp"
#include "runtime/config/duration.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/actor_system.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

namespace {

constexpr const char* component = "dmsg";

expected<services::dmsg_discovery_config> discovery_config(const std::string& addr, bool test_mode,
                                                           const std::string& entry_timeout) {
  services::dmsg_discovery_config cfg;
  auto hp = services::parse_host_port(addr);
  if (!hp)
    return hp.error();
  cfg.host = hp->host.empty() ? "0.0.0.0" : hp->host;
  cfg.port = hp->port;
  cfg.test_mode = test_mode;
  if (!entry_timeout.empty()) {
    auto d = config::parse_go_duration(entry_timeout);
    if (!d || d->count() <= 0)
      return make_error(wire_errc::bad_value, "--entry-timeout: not a positive Go duration: "
                                                + entry_timeout);
    cfg.server_ttl = *d;
  }
  return cfg;
}

int run_disc(const std::string& argv0, const std::vector<std::string>& args) {
  std::string addr = ":9090", entry_timeout, loglvl = "info";
  bool test_mode = false;
  po::options_description desc{"usage: " + argv0 + " [-a ADDR] [-t] [--sk SK]\n"
                               "Runs a dmsg discovery (HTTP API) until SIGINT/SIGTERM. With\n"
                               "--sk it also serves the API over dmsghttp (dmsg port 80),\n"
                               "joining every dmsg server it lists.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "addr,a", po::value(&addr)->value_name("ADDR"), "listen address (default :9090)")(
    "test-mode,t", po::bool_switch(&test_mode),
    "accept loopback server addresses (local deployments)")(
    "entry-timeout", po::value(&entry_timeout)->value_name("DUR"),
    "server entry lifetime (Go duration, default 2m)")(
    "loglvl,l", po::value(&loglvl)->value_name("LEVEL"), "log level (default info)");
  service_dmsg_flags dmsg_flags;
  dmsg_flags.add_to(desc, false);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if (!apply_log_level(loglvl))
    return exit_usage;
  bool dmsg_ok = true;
  auto dmsg_cfg = dmsg_flags.config(argv0, dmsg_ok);
  if (!dmsg_ok)
    return exit_usage;
  auto cfg = discovery_config(addr, test_mode, entry_timeout);
  if (!cfg) {
    std::cerr << argv0 << ": " << describe(cfg.error()) << '\n';
    return exit_usage;
  }
  cfg->dmsg_address = dmsg_address(dmsg_cfg);
  return run_http_service(
    argv0, component, "discovery", dmsg_cfg,
    [&](caf::actor_system& sys, io::io_runtime& io) {
      return services::spawn_dmsg_discovery(sys, io, *cfg);
    },
    [&](const services::dmsg_discovery_handle& disc) {
      SKYWIRE_LOG(info, component, "discovery listening",
                  log::kv("addr", cfg->host + ":" + std::to_string(disc.port)),
                  log::kv("test_mode", test_mode));
      if (!dmsg_cfg)
        return;
      // the discovery's own dmsg client reads the servers from the discovery
      // itself, over loopback (the reference reads its own database)
      auto host = cfg->host == "0.0.0.0" || cfg->host.empty() ? std::string{"127.0.0.1"}
                                                               : cfg->host;
      if (host.find(':') != std::string::npos)
        host = "[" + host + "]";
      dmsg_cfg->discovery_url = "http://" + host + ":" + std::to_string(disc.port);
    });
}

int run_server_config_gen(const std::string& argv0, const std::vector<std::string>& args) {
  std::string out;
  bool test_env = false;
  po::options_description desc{"usage: " + argv0 + " [-o FILE] [-t]\n"
                               "Writes a dmsg server config with a fresh key pair.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "output,o", po::value(&out)->value_name("FILE"), "write to FILE (default: stdout)")(
    "testenv,t", po::bool_switch(&test_env), "use the test deployment's discovery");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  auto text = services::to_json(services::generate_dmsg_server_config(test_env));
  if (out.empty()) {
    std::cout << text << '\n';
    return exit_ok;
  }
  if (!write_file_atomically(out, text + "\n")) {
    std::cerr << argv0 << ": cannot write " << out << '\n';
    return exit_failure;
  }
  std::cerr << "wrote " << out << '\n';
  return exit_ok;
}

expected<services::dmsg_server_config> read_server_config(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return make_error(wire_errc::bad_value, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  if (text.size() > 1024 * 1024)
    return make_error(wire_errc::oversized, path + ": larger than 1 MiB");
  return services::parse_dmsg_server_config(text);
}

int run_server_start(const std::string& argv0, const std::vector<std::string>& args) {
  std::string path = "config.json", loglvl;
  unsigned io_threads = 0;
  po::options_description desc{"usage: " + argv0 + " [-c FILE]\n"
                               "Runs a dmsg server until SIGINT/SIGTERM.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "config,c", po::value(&path)->value_name("FILE"), "server config (default config.json)")(
    "loglvl,l", po::value(&loglvl)->value_name("LEVEL"), "log level (default: the config's)")(
    "io-threads", po::value(&io_threads)->value_name("N"),
    "io shards: threads that read, relay and write (default: one per core)");
  po::positional_options_description pos;
  pos.add("config", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  auto cfg = read_server_config(path);
  if (!cfg) {
    std::cerr << argv0 << ": " << path << ": " << describe(cfg.error()) << '\n';
    return exit_failure;
  }
  if (!apply_log_level(loglvl.empty() ? cfg->log_level : loglvl))
    return exit_usage;
  if (io_threads > 64) {
    std::cerr << argv0 << ": --io-threads must be 1..64\n";
    return exit_usage;
  }
  raise_nofile();
  block_stop_signals();
  io::io_runtime io{io_threads == 0 ? io::default_shards() : io_threads};
  caf::actor_system_config caf_cfg;
  system::configure(caf_cfg);
  caf::actor_system sys{caf_cfg};
  auto srv = services::spawn_dmsg_server(sys, io, *cfg);
  if (!srv) {
    std::cerr << argv0 << ": " << describe(srv.error()) << '\n';
    return exit_failure;
  }
  SKYWIRE_LOG(info, component, "dmsg server listening", log::kv("pk", cfg->pk),
              log::kv("port", srv->port), log::kv("health_port", srv->health_port),
              log::kv("discovery", cfg->discovery));
  wait_for_stop();
  srv->stop();
  drain_dmsg_server(*srv);
  io.stop();
  SKYWIRE_LOG(info, component, "dmsg server stopped");
  return exit_ok;
}

int run_local(const std::string& argv0, const std::vector<std::string>& args) {
  int disc_port = 0, server_port = 0, nservers = 1;
  unsigned io_threads = 0;
  std::string info_file, loglvl = "warn";
  bool json = false;
  po::options_description desc{
    "usage: " + argv0 + " [--servers N] [--disc-port P] [--server-port P] [--json]\n"
    "Runs a dmsg discovery (test mode) and N dmsg servers in one process on\n"
    "127.0.0.1 until SIGINT/SIGTERM, then prints where they listen.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "servers,n", po::value(&nservers)->value_name("N"), "number of dmsg servers (default 1)")(
    "disc-port", po::value(&disc_port)->value_name("P"), "discovery port (default: ephemeral)")(
    "server-port", po::value(&server_port)->value_name("P"),
    "first server's port (default: ephemeral; server i uses P+2i)")(
    "info-file", po::value(&info_file)->value_name("FILE"),
    "also write the JSON description to FILE once everything listens")(
    "json", po::bool_switch(&json), "print the description as JSON")(
    "io-threads", po::value(&io_threads)->value_name("N"),
    "io shards: threads that read, relay and write (default: one per core)")(
    "loglvl,l", po::value(&loglvl)->value_name("LEVEL"), "log level (default warn)");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if (nservers < 1 || nservers > 64 || disc_port < 0 || disc_port > 65535 || server_port < 0
      || server_port > 65535 - 2 * nservers || io_threads > 64) {
    std::cerr << argv0 << ": --servers must be 1..64, --io-threads 0..64 and ports 0..65535\n";
    return exit_usage;
  }
  local_deployment_options o;
  o.ports.dmsg_discovery = static_cast<uint16_t>(disc_port);
  o.servers = nservers;
  o.server_port = static_cast<uint16_t>(server_port);
  o.transport_services = false;
  local_presentation show;
  show.describe = [](const boost::json::object& info) {
    return boost::json::object{{"discovery", info.at("dmsg_discovery")},
                               {"servers", info.at("dmsg_servers")}};
  };
  show.print = [](const boost::json::object& info) {
    std::cout << "dmsg discovery  " << info.at("dmsg_discovery").as_string().c_str() << '\n';
    for (auto& s : info.at("dmsg_servers").as_array())
      std::cout << "dmsg server     " << s.at("pk").as_string().c_str() << "  "
                << s.at("address").as_string().c_str() << '\n';
    std::cout << "running; Ctrl-C stops" << std::endl;
  };
  return serve_local_deployment(argv0, o, io_threads, loglvl, info_file, json, show);
}

} // namespace

SKYWIRE_CLI_COMMAND("dmsg disc", "run a dmsg discovery", run_disc);
SKYWIRE_CLI_COMMAND("dmsg server config gen", "write a dmsg server config", run_server_config_gen);
SKYWIRE_CLI_COMMAND("dmsg server start", "run a dmsg server from its config", run_server_start);
SKYWIRE_CLI_COMMAND("dmsg local", "run a dmsg discovery and servers together on loopback",
                    run_local);

} // namespace skywire::cli
