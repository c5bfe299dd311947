// The embedded deployment (ARCHITECTURE §5): control-plane services as
// actors of one process, on loopback. `skywire dmsg local` runs its dmsg
// part (a discovery in test mode and N dmsg servers); `skywire svc local`
// runs every service we have (dmsg discovery, dmsg servers, transport
// discovery, address resolver with its UDP side, service discovery, uptime
// tracker, route finder, setup node) on the reference's local ports (config
// gen --local points visors at the same ones; the setup node's key is
// generated: visors need it in routing.route_setup_nodes, `config gen
// --routesetup`).
//
// Start-up is all or nothing: a service that cannot start stops the ones
// already running and the error names it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include <caf/actor_system.hpp>

#include "actors/services/address_resolver/service.hpp"
#include "actors/services/dmsg_discovery.hpp"
#include "actors/services/dmsg_server.hpp"
#include "actors/services/service_discovery/service.hpp"
#include "actors/services/uptime_tracker/service.hpp"
#include "actors/services/route_finder/service.hpp"
#include "actors/services/transport_discovery/service.hpp"
#include "messages/error.hpp"
#include "runtime/config/registry.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::cli {

struct local_deployment_options {
  /// Ports of the HTTP services (0 = ephemeral), host always 127.0.0.1.
  config::local_services ports;
  int servers = 1;             ///< dmsg servers
  uint16_t server_port = 0;    ///< the first server's port (0 = ephemeral; server i: +2i)
  /// transport discovery, address resolver, service discovery, uptime tracker
  bool transport_services = true;
  /// Route finder (over the transport discovery) and setup node (with its own
  /// dmsg client and key); need transport_services.
  bool routing_services = true;
};

class local_deployment {
public:
  /// Starts every service of `o`.
  static expected<local_deployment> start(caf::actor_system& sys, io::io_runtime& io,
                                          const local_deployment_options& o);

  local_deployment() = default;
  local_deployment(local_deployment&&) = default;
  local_deployment& operator=(local_deployment&&) = default;
  ~local_deployment();

  /// Where each service listens: {"dmsg_discovery":url, "dmsg_servers":
  /// [{"pk","address","health"}], "transport_discovery":url,
  /// "address_resolver":url, "address_resolver_udp":port,
  /// "service_discovery":url, "uptime_tracker":url, "route_finder":url,
  /// "setup_node":pk}.
  const boost::json::object& info() const noexcept { return info_; }

  /// Stops everything (servers drained, bounded), idempotent.
  void stop();

private:
  std::optional<services::dmsg_discovery_handle> disc_;
  std::vector<services::dmsg_server_handle> servers_;
  std::optional<services::transport_discovery::tpd_handle> tpd_;
  std::optional<services::address_resolver::ar_handle> ar_;
  std::optional<services::http_service_handle> sd_;
  std::optional<services::http_service_handle> ut_;
  std::optional<services::route_finder::rf_handle> rf_;
  caf::actor sn_client_; ///< the setup node's dmsg client
  caf::actor sn_;
  boost::json::object info_;
};

/// How a local deployment command shows itself once everything listens.
struct local_presentation {
  /// The JSON description (written to info_file, printed with --json).
  std::function<boost::json::object(const boost::json::object& info)> describe;
  /// The text printed without --json.
  std::function<void(const boost::json::object& info)> print;
};

/// What `skywire dmsg local` and `skywire svc local` share once their flags
/// are read: the io shards and the actor system, the deployment, its
/// description (to `info_file`, to stdout), then it runs until
/// SIGINT/SIGTERM and stops everything. The exit code.
int serve_local_deployment(const std::string& argv0, const local_deployment_options& o,
                           unsigned io_threads, const std::string& loglvl,
                           const std::string& info_file, bool json,
                           const local_presentation& show);

/// Session actors own sockets on the io loop: waits (bounded, 5 s) until a
/// stopped server's are gone, before the loop stops.
void drain_dmsg_server(const services::dmsg_server_handle& h);

/// Writes `text` to `path` atomically (temp file + rename).
bool write_file_atomically(const std::string& path, const std::string& text);

} // namespace skywire::cli
