// The visor's configuration file (skywire-config.json), typed. Keys, defaults
// and order follow the Go reference v1.3.x (reference §6.2/§6.3); the option
// registry (registry.hpp) is the single declaration of every key and feeds
// loading, validation, `config gen` and the docs.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "messages/ids.hpp"

namespace skywire::config {

using nanoseconds = std::chrono::nanoseconds;

struct dmsg_config {
  std::string discovery;
  uint64_t sessions_count = 2; ///< 0 = connect to every server
  boost::json::array servers;  ///< pre-seeded dmsg discovery entries (kept as JSON)
  std::string servers_type = "all";
};

struct dmsgpty_config {
  skywire::port dmsg_port{22};
  std::string cli_network = "unix";
  std::string cli_address = "/tmp/dmsgpty.sock";
  std::vector<public_key> whitelist;
};

struct stcp_config {
  /// pk -> "ip:port"; nullopt when the file says null.
  std::optional<std::map<public_key, std::string>> pk_table;
  std::string listening_address = ":7777";
};

struct log_store_config {
  std::string type = "file"; ///< file | memory
  std::string location = "./local/transport_logs";
  nanoseconds rotation_interval = std::chrono::hours{168};
};

struct transport_config {
  std::string discovery;
  std::string address_resolver;
  bool public_autoconnect = true;
  std::vector<public_key> transport_setup;
  log_store_config log_store;
  uint16_t stcpr_port = 0; ///< 0 = random
  uint16_t sudph_port = 0; ///< 0 = random
};

struct routing_config {
  std::vector<public_key> route_setup_nodes;
  std::string route_finder;
  nanoseconds route_finder_timeout = std::chrono::seconds{10};
  uint16_t min_hops = 0;
  /// Ours (not generated; a Go visor ignores it): the uniform cell size this
  /// visor offers in the route handshake (0 = none; 512, 1024 or 1400). Two
  /// of our visors use cells on a route when both offer the same size.
  uint16_t cell_size = 0;
};

struct uptime_tracker_config {
  std::string addr;
};

struct app_config {
  std::string name;
  std::string binary;
  std::vector<std::string> args;
  bool auto_start = false;
  skywire::port port;
};

struct launcher_config {
  std::string service_discovery;
  std::vector<app_config> apps;
  std::string server_addr = "localhost:5505";
  std::string bin_path = "./";
  bool display_node_ip = false;
};

struct persistent_transport {
  public_key pk;
  std::string type;
};

struct cookies_config {
  std::vector<uint8_t> hash_key;  ///< 64 bytes
  std::vector<uint8_t> block_key; ///< 32 bytes
  nanoseconds expires_duration = std::chrono::hours{12};
  std::string path = "/";
  std::string domain;
};

struct hypervisor_config {
  std::string db_path;
  bool enable_auth = false;
  cookies_config cookies;
  skywire::port dmsg_port{46};
  std::string http_addr = ":8000";
  bool enable_tls = false;
  std::string tls_cert_file = "./ssl/cert.pem";
  std::string tls_key_file = "./ssl/key.pem";
};

struct visor_config {
  std::string version;
  secret_key sk;
  public_key pk;
  dmsg_config dmsg;
  dmsgpty_config dmsgpty;
  std::optional<stcp_config> stcp; ///< "skywire-tcp"
  transport_config transport;
  routing_config routing;
  std::optional<uptime_tracker_config> uptime_tracker;
  launcher_config launcher;
  std::vector<public_key> survey_whitelist;
  std::vector<public_key> hypervisors;
  std::string cli_addr = "localhost:3435";
  std::string log_level; ///< "" means info
  std::string local_path = "./local";
  std::string dmsghttp_server_path = "./local/custom";
  std::vector<std::string> stun_servers;
  nanoseconds shutdown_timeout = std::chrono::seconds{10};
  bool is_public = false;
  std::optional<std::vector<persistent_transport>> persistent_transports;
  std::optional<hypervisor_config> hypervisor;

  /// Where it was loaded from ("" when not from a file).
  std::string source_path;
  /// Top-level keys we do not know (kept, ignored, never written back).
  std::vector<std::string> unknown_keys;
};

} // namespace skywire::config
