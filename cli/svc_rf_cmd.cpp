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
#include "runtime/http/client.hpp"
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
  std::string refresh = "2s";
  rf::rf_config cfg;
  rf::tpd_source_config src_cfg;
  service_command cmd{
    argv0,
    " [-a ADDR] [--tpd URL] [--refresh DUR] [--sk SK]\n"
    "Runs a route finder (the reference's HTTP API: POST /routes, GET /health) until\n"
    "SIGINT/SIGTERM. It reads the transport graph from a transport discovery's\n"
    "/all-transports every --refresh (and at once after a miss on an older graph) and\n"
    "answers up to --paths loop-free paths per edge, shortest first, at any length.\n"
    "With --sk it also serves the API over dmsghttp (dmsg port 80).\n\noptions",
    ":9092"};
  cmd.desc.add_options()(
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
  if (auto rc = cmd.parse(args))
    return *rc;
  cmd.configure(cfg);
  auto every = config::parse_go_duration(refresh);
  if (!every || every->count() <= 0)
    return cmd.usage_error("--refresh: not a Go duration > 0: " + refresh);
  cfg.refresh_interval = *every;
  if (cfg.paths_per_edge == 0 || cfg.paths_per_edge > 16 || cfg.search_budget == 0
      || src_cfg.max_entries == 0 || cfg.max_connections == 0)
    return cmd.usage_error("--paths must be 1..16; --search-budget, --max-entries and "
                           "--max-connections > 0");
  if (!src_cfg.tpd_url.starts_with("http://"))
    return cmd.usage_error("--tpd: an http:// URL: " + src_cfg.tpd_url);
  // what tpd_graph_source::make refuses, checked before anything starts
  if (auto u = http::parse_url(src_cfg.tpd_url); !u)
    return cmd.usage_error("--tpd: " + describe(u.error()));
  cfg.version = system::version();
  return run_http_service(
    argv0, "rf", "route finder", cmd.start().dmsg,
    [&](caf::actor_system& sys, io::io_runtime& io) -> expected<rf::rf_handle> {
      auto src = rf::tpd_graph_source::make(rf::tcp_sender(io), src_cfg);
      if (!src)
        return std::move(src.error());
      return rf::spawn_route_finder(sys, io, cfg, *src);
    },
    [&](const rf::rf_handle& h) {
      SKYWIRE_LOG(info, "rf", "route finder listening",
                  log::kv("addr", cfg.host + ":" + std::to_string(h.port)),
                  log::kv("tpd", src_cfg.tpd_url),
                  log::kv("refresh", config::format_go_duration(cfg.refresh_interval)));
    });
}

} // namespace

SKYWIRE_CLI_COMMAND("svc rf", "run a route finder", run_rf);

} // namespace skywire::cli
