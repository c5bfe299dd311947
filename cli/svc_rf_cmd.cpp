// skywire svc rf
//
// The route finder (reference §1.8, §7.5: `svc rf [-a :9092]`) as a
// foreground process until SIGINT/SIGTERM. Where the reference reads the
// transport discovery's PostgreSQL table, ours reads the transport
// discovery's HTTP API (GET /all-transports, paged) every --refresh and
// keeps the graph in memory (actors/services/route_finder/graph_source.hpp).
// With --sk it also serves the API over dmsghttp (dmsg port 80).
#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/services/route_finder/service.hpp"
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/service_process.hpp"
#include "cli/stop_signal.hpp"
#include "runtime/config/duration.hpp"
#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/actor_system.hpp"
#include "runtime/system/build_info.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

namespace {

namespace rf = services::route_finder;

int run_rf(const std::string& argv0, const std::vector<std::string>& args) {
  std::string addr = ":9092", loglvl = "info", refresh = "2s";
  rf::rf_config cfg;
  rf::tpd_source_config src_cfg;
  po::options_description desc{
    "usage: " + argv0
    + " [-a ADDR] [--tpd URL] [--refresh DUR] [--sk SK]\n"
      "Runs a route finder (the reference's HTTP API: POST /routes, GET /health) until\n"
      "SIGINT/SIGTERM. It reads the transport graph from a transport discovery's\n"
      "/all-transports every --refresh (and at once after a miss on an older graph) and\n"
      "answers up to --paths loop-free paths per edge, shortest first, at any length.\n"
      "With --sk it also serves the API over dmsghttp (dmsg port 80).\n\noptions"};
  desc.add_options()("help,h", "show this help")("addr,a", po::value(&addr)->value_name("ADDR"),
                                                 "listen address (default :9092)")(
    "loglvl,l", po::value(&loglvl)->value_name("LEVEL"),
    "log level: trace, debug, info, warn, error, fatal (default info)")(
    "tpd", po::value(&src_cfg.tpd_url)->value_name("URL"),
    "transport discovery to read (http://; default http://127.0.0.1:9091)")(
    "refresh", po::value(&refresh)->value_name("DUR"),
    "rebuild the graph this often (Go duration, default 2s)")(
    "paths", po::value(&cfg.paths_per_edge)->value_name("N"),
    "paths per edge at most (default 5, as the reference)")(
    "search-budget", po::value(&cfg.search_budget)->value_name("N"),
    "graph edges one request's searches may expand (default 2000000)")(
    "max-entries", po::value(&src_cfg.max_entries)->value_name("N"),
    "transports read at most; a larger listing fails the refresh (default 1000000)")(
    "max-connections", po::value(&cfg.max_connections)->value_name("N"),
    "concurrent HTTP connections (default 4096)");
  service_dmsg_flags dmsg_flags;
  dmsg_flags.add_to(desc, true);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  auto usage_error = [&](const std::string& why) {
    std::cerr << argv0 << ": " << why << '\n';
    return exit_usage;
  };
  auto start = read_service_start(argv0, loglvl, addr, dmsg_flags);
  if (!start)
    return exit_usage;
  cfg.host = start->host;
  cfg.port = start->port;
  auto every = config::parse_go_duration(refresh);
  if (!every || every->count() <= 0)
    return usage_error("--refresh: not a Go duration > 0: " + refresh);
  cfg.refresh_interval = *every;
  if (cfg.paths_per_edge == 0 || cfg.paths_per_edge > 16 || cfg.search_budget == 0
      || src_cfg.max_entries == 0 || cfg.max_connections == 0)
    return usage_error("--paths must be 1..16; --search-budget, --max-entries and "
                       "--max-connections > 0");
  if (!src_cfg.tpd_url.starts_with("http://"))
    return usage_error("--tpd: an http:// URL: " + src_cfg.tpd_url);
  cfg.version = system::version();

  raise_nofile();
  block_stop_signals();
  io::io_runtime io{1};
  caf::actor_system_config caf_cfg;
  system::configure(caf_cfg);
  caf::actor_system sys{caf_cfg};
  if (start->dmsg)
    cfg.dmsg_address = start->dmsg->pk.hex() + ":" + std::to_string(start->dmsg->port);
  auto src = rf::tpd_graph_source::make(rf::tcp_sender(io), src_cfg);
  if (!src)
    return usage_error("--tpd: " + describe(src.error()));
  auto h = rf::spawn_route_finder(sys, io, cfg, *src);
  if (!h) {
    std::cerr << argv0 << ": " << describe(h.error()) << '\n';
    return exit_failure;
  }
  SKYWIRE_LOG(info, "rf", "route finder listening",
              log::kv("addr", cfg.host + ":" + std::to_string(h->port)),
              log::kv("tpd", src_cfg.tpd_url),
              log::kv("refresh", config::format_go_duration(cfg.refresh_interval)));
  return serve_until_stopped(argv0, "rf", "route finder", sys, io, *h, start->dmsg);
}

} // namespace

SKYWIRE_CLI_COMMAND("svc rf", "run a route finder", run_rf);

} // namespace skywire::cli
