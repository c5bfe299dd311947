// skywire svc local: the whole control plane in one process on loopback
// (cli/local_deployment.hpp), on the reference's local ports unless told
// otherwise, until SIGINT/SIGTERM.
#include <algorithm>
#include <iostream>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "cli/command.hpp"
#include "cli/local_deployment.hpp"
#include "cli/options.hpp"
#include "cli/service_process.hpp"
#include "cli/stop_signal.hpp"
#include "runtime/config/errors.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/system/actor_system.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

namespace {

int run_svc_local(const std::string& argv0, const std::vector<std::string>& args) {
  std::string ports, info_file, loglvl = "warn";
  int servers = 1, server_port = 0;
  unsigned io_threads = 0;
  bool json = false, ephemeral = false;
  po::options_description desc{
    "usage: " + argv0 + " [--ports LIST] [--ephemeral] [--servers N] [--json]\n"
    "Runs the control plane in one process on 127.0.0.1: a dmsg discovery (test\n"
    "mode), N dmsg servers, the transport discovery, the address resolver (test\n"
    "mode: loopback addresses count as public; UDP on its HTTP port), the route\n"
    "finder and a setup node (a new key: visors need it in route_setup_nodes), on\n"
    "the ports `cli config gen --local` writes (dmsgd 9090, tpd 9091, rf 9092,\n"
    "ar 9093), until SIGINT/SIGTERM; prints where each listens.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "ports", po::value(&ports)->value_name("LIST"),
    "service ports as config gen's --local-ports: dmsgd=9090,tpd=9091,rf=9092,ar=9093")(
    "ephemeral", po::bool_switch(&ephemeral),
    "every port ephemeral (the description says which; the address resolver's UDP side "
    "shares its HTTP port's number, as visors expect)")(
    "servers,n", po::value(&servers)->value_name("N"), "dmsg servers (default 1)")(
    "server-port", po::value(&server_port)->value_name("P"),
    "first dmsg server's port (default: ephemeral; visors find servers in the discovery; server i uses P+2i)")(
    "info-file", po::value(&info_file)->value_name("FILE"),
    "also write the JSON description to FILE once everything listens")(
    "json", po::bool_switch(&json), "print the description as JSON")(
    "io-threads", po::value(&io_threads)->value_name("N"),
    "io shards (default: one per core)")(
    "loglvl,l", po::value(&loglvl)->value_name("LEVEL"), "log level (default warn)");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  local_deployment_options o;
  if (!ports.empty())
    if (auto e = config::parse_local_ports(ports, o.ports)) {
      std::cerr << argv0 << ": --ports: " << config::message(e) << '\n';
      return exit_usage;
    }
  if (servers < 1 || servers > 64 || server_port < 0 || server_port > 65535 - 2 * servers
      || io_threads > 64) {
    std::cerr << argv0 << ": --servers must be 1..64, --io-threads 0..64, --server-port "
                          "0..65535\n";
    return exit_usage;
  }
  o.servers = servers;
  o.server_port = static_cast<uint16_t>(server_port);
  if (ephemeral) {
    o.ports = config::local_services{};
    o.ports.dmsg_discovery = o.ports.transport_discovery = o.ports.route_finder =
      o.ports.address_resolver = o.ports.uptime_tracker = o.ports.service_discovery = 0;
    o.server_port = 0;
  }
  local_presentation show;
  show.describe = [](const boost::json::object& info) { return info; };
  show.print = [](const boost::json::object& info) {
    for (const auto& [k, v] : info) {
      if (k == "dmsg_servers") {
        for (const auto& s : v.as_array())
          std::cout << "dmsg server            " << s.at("pk").as_string().c_str() << "  "
                    << s.at("address").as_string().c_str() << '\n';
      } else {
        std::string name{k};
        name.resize(std::max<size_t>(name.size() + 1, 23), ' ');
        std::cout << name << boost::json::serialize(v) << '\n';
      }
    }
    std::cout << "running; Ctrl-C stops" << std::endl;
  };
  return serve_local_deployment(argv0, o, io_threads, loglvl, info_file, json, show);
}

} // namespace

SKYWIRE_CLI_COMMAND("svc local",
                    "run the control plane (dmsg discovery and servers, transport discovery, "
                    "address resolver, route finder, setup node) in one process on loopback",
                    run_svc_local);

} // namespace skywire::cli
