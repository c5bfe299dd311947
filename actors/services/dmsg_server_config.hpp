// The dmsg server's configuration: the reference's dmsg-server JSON
// (dmsg-protocol.md §6) plus tuning that has no JSON key.
//
//   {"public_key","secret_key","discovery","public_address","local_address",
//    "health_endpoint_address","log_level","update_interval" (ns),"max_sessions"}
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/services/dmsg_server_session.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"

namespace skywire::services {

/// The dmsg server's defaults: 512 pending handshakes, 32 per address, 64
/// per /24 or /64, deadline 5 s shrinking to 1 s.
inline io::admission_config default_admission() {
  io::admission_config a;
  a.max_pending = 512;
  a.max_pending_per_ip = 32;
  a.max_pending_per_prefix = 64;
    a.min_deadline = std::chrono::milliseconds{1000};
  return a;
}

struct dmsg_server_config {
  public_key pk;
  secret_key sk;
  std::string discovery = "http://dmsgd.skywire.skycoin.com";
  std::string public_address = "127.0.0.1:8081"; ///< advertised in discovery
  std::string local_address = ":8081";           ///< bind ("" host = all interfaces)
  std::string health_endpoint_address = ":8082"; ///< "" = local port + 1
  std::string log_level = "info";
  std::chrono::nanoseconds update_interval{0};   ///< 0 = 1 minute
  int64_t max_sessions = 2048;

  // -- not in the JSON ---------------------------------------------------------------
  dmsg_session_limits limits;
  /// Admission control of connections still in their handshake (a budget
  /// separate from max_sessions, per-source bounds, a deadline that shrinks
  /// under pressure; docs/protocol/dmsg-server.md "Admission").
  /// The unloaded handshake deadline is limits.handshake_timeout
  /// (admission.deadline is set from it); admission.min_deadline the least.
  io::admission_config admission = default_admission();
  /// Shortest time between two discovery updates caused by session-count changes.
  std::chrono::milliseconds discovery_throttle{1000};
  /// Poll period of the session count (and of the update timer).
  std::chrono::milliseconds check_interval{1000};
  /// Register in discovery at all (off when `discovery` is empty).
  bool register_in_discovery = true;

  std::chrono::nanoseconds effective_update_interval() const noexcept {
    return update_interval.count() > 0 ? update_interval : std::chrono::minutes{1};
  }
};

/// Parses the JSON file's text. Unknown keys are ignored (as Go does); keys
/// must be valid hex, the secret key must match the public key (when both
/// are given), max_sessions must be > 0.
expected<dmsg_server_config> parse_dmsg_server_config(std::string_view json);

/// The JSON form (indented like the reference's `config gen`). Contains the
/// secret key: write it to a file, never to a log.
std::string to_json(const dmsg_server_config& cfg);

/// `dmsg-server config gen [-t]`: fresh keys and the defaults; `test_env`
/// selects the test discovery (http://dmsgd.skywire.dev).
dmsg_server_config generate_dmsg_server_config(bool test_env = false);

/// "host:port" / ":port" / "[v6]:port". Empty host = all interfaces.
struct host_port {
  std::string host;
  uint16_t port = 0;
};
expected<host_port> parse_host_port(std::string_view text);

} // namespace skywire::services
