// skywire cli visor ping <pk>: a route to the remote visor's ping port (48,
// or --port: an `echo` app's),
// `-n` echoes of `-s` bytes, their round trips (reference §5.7; ours dials
// the remote directly where the reference dials a loop through it, see
// docs/protocol/routing.md). The route goes through the route finder and
// the setup node of the visor's config; --min-hops asks for a longer one.
// skywire cli visor speed <pk>: the same route to the remote's speed port
// (49, ours), `--mib` MiB through it, timed until the remote acknowledged
// the last byte (messages/api/route_manager.hpp).
#include <cstdio>
#include <iostream>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/visor_call.hpp"
#include "messages/api/route_manager.hpp"

namespace po = boost::program_options;
namespace json = boost::json;

namespace skywire::cli {

namespace {

/// Parses a route command's arguments: `desc`'s options, the remote's key
/// (<pk>, positional, required) and --min-hops. -1 when they are good,
/// else the exit code.
int parse_route_args(const std::string& argv0, const std::vector<std::string>& args,
                     po::options_description& desc, std::string& pk, unsigned& min_hops) {
  desc.add_options()("pk", po::value(&pk)->value_name("PK"), "the remote visor's public key")(
    "min-hops", po::value(&min_hops)->value_name("N"),
    "the route's least number of hops (default: routing.min_hops of the visor's config)");
  po::positional_options_description pos;
  pos.add("pk", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (pk.size() != 66)
    return usage_error(argv0, "a public key (66 hex digits) is required", desc);
  return -1;
}

std::string paths_help() {
  return "paths of the route (default 1, at most " + std::to_string(api::max_test_paths)
         + "): 2 or more stripe the bytes over as many paths, as disjoint as the route finder "
           "allows (both visors ours: the reliable mode's multipath)";
}

int visor_ping(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string pk;
  unsigned count = 4, size = 32, min_hops = 0, port = 48, paths = 1;
  auto desc = visor_options(argv0,
                            " <pk> [-n COUNT] [-s BYTES] [--min-hops N] [--paths N] [--port P] "
                            "[options]",
                            "Ping a visor over a route: set up a route to its ping port, send "
                            "COUNT echoes of BYTES bytes, print each round trip.",
                            c);
  desc.add_options()("count,n", po::value(&count)->value_name("COUNT"),
                     "echoes (default 4, at most 1000)")(
    "size,s", po::value(&size)->value_name("BYTES"), "bytes per echo (default 32, at most 65536)")(
    "paths", po::value(&paths)->value_name("N"), paths_help().c_str())(
    "port", po::value(&port)->value_name("P"),
    "the remote's routing port (default 48, the visor's echo; or an `echo` app's port)");
  if (int rc = parse_route_args(argv0, args, desc, pk, min_hops); rc >= 0)
    return rc;
  if (count == 0 || count > 1000 || size == 0 || size > 65536 || min_hops > 255 || port == 0
      || port > 65535 || paths == 0 || paths > api::max_test_paths)
    return usage_error(argv0,
                       "-n 1..1000, -s 1..65536, --min-hops 0..255, --port 1..65535, --paths 1.."
                         + std::to_string(api::max_test_paths),
                       desc);
  json::object params{{"pk", pk}, {"count", count}, {"size", size}, {"min_hops", min_hops},
                      {"port", port}, {"paths", paths}};
  int rc = 0;
  auto v = visor_call(c, "visor.ping", params, rc, std::chrono::seconds(90));
  if (!v)
    return rc;
  if (c.json) {
    std::cout << json::serialize(*v) << '\n';
    return exit_ok;
  }
  const auto& o = v->as_object();
  char setup[32];
  std::snprintf(setup, sizeof setup, "%.2f", o.at("setup_ms").to_number<double>());
  std::cout << "route to " << pk << " set up in " << setup << " ms\n";
  size_t i = 0;
  for (const auto& r : o.at("rtt_us").as_array())
    std::cout << "echo " << ++i << ": " << size << " bytes, " << json::serialize(r) << " us\n";
  if (o.contains("min_us"))
    std::cout << "min/avg/max " << json::serialize(o.at("min_us")) << "/"
              << json::serialize(o.at("avg_us")) << "/" << json::serialize(o.at("max_us"))
              << " us\n";
  return exit_ok;
}

int visor_speed(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string pk;
  unsigned mib = 64, min_hops = 0, paths = 1;
  auto desc = visor_options(argv0, " <pk> [--mib N] [--min-hops N] [--paths N] [options]",
                            "Measure a route's throughput: set up a route to the visor's speed "
                            "port (49), send N MiB, time them until the remote acknowledged the "
                            "last byte. Both visors must be ours (a Go visor has no speed port).",
                            c);
  desc.add_options()(
    "mib", po::value(&mib)->value_name("N"),
    ("MiB to send (default 64, at most " + std::to_string(api::max_speed_mib) + ")").c_str())(
    "paths", po::value(&paths)->value_name("N"), paths_help().c_str());
  if (int rc = parse_route_args(argv0, args, desc, pk, min_hops); rc >= 0)
    return rc;
  if (mib == 0 || mib > api::max_speed_mib || min_hops > 255 || paths == 0
      || paths > api::max_test_paths)
    return usage_error(argv0,
                       "--mib 1.." + std::to_string(api::max_speed_mib)
                         + ", --min-hops 0..255, --paths 1.." + std::to_string(api::max_test_paths),
                       desc);
  json::object params{{"pk", pk}, {"mib", mib}, {"min_hops", min_hops}, {"paths", paths}};
  return call_and_print(
    c, "visor.speed", params,
    [&](const json::value& v) {
      const auto& o = v.as_object();
      char line[200];
      std::snprintf(line, sizeof line, "route to %s set up in %.2f ms\n%u MiB in %.3f s: %.1f MB/s\n",
                    pk.c_str(), o.at("setup_ms").to_number<double>(), mib,
                    o.at("seconds").to_number<double>(), o.at("mb_s").to_number<double>());
      std::cout << line;
      if (o.contains("paths") && o.contains("retransmits"))
        std::cout << "paths " << json::serialize(o.at("paths")) << ", retransmissions "
                  << json::serialize(o.at("retransmits")) << ", round trip "
                  << json::serialize(o.at("rtt_us")) << " us\n";
    },
    api::speed_wait(mib) + std::chrono::seconds(5));
}

} // namespace

SKYWIRE_CLI_COMMAND("cli visor ping", "ping a visor over a route", visor_ping);
SKYWIRE_CLI_COMMAND("cli visor speed", "measure a route's throughput to a visor", visor_speed);

} // namespace skywire::cli
