// The service discovery's Service objects (reference §1.10), as
// GET /api/services?type=T[&quantity=N] lists them:
//   {"address":"<pk>:<port>","type":"visor","geo":{...},"display_node_ip":true,
//    "version":"v1.3.20","local_ips":["a.b.c.d"],"info":{...}}
// address and type are required; the rest is optional (omitempty in Go).
// The visor reads lists of them (public autoconnect: type "visor", the port
// being the visor's stcpr TCP port); the service discovery
// (actors/services/service_discovery) reads registrations and writes its
// answers with encode_service, in the Go struct's field order
// (address, type, geo, display_node_ip, version, local_ips, info).
//
// Strict and bounded, as every codec of network input here: the whole answer
// at most max_service_list_json bytes and max_services entries, nesting at
// most 4 deep, each string bounded, `address` a valid public key and a
// decimal port, `local_ips` at most 64 IP-looking strings; geo and info must
// be objects when present, their numbers finite and at most 1e9 in
// magnitude (kept to six decimals), their strings bounded.
// Unknown fields are ignored, as Go does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"

namespace skywire::wire {

/// The largest list answer read, and the most entries in it.
inline constexpr size_t max_service_list_json = 1024 * 1024;
inline constexpr size_t max_services = 2048;

/// geo.LocationData: {"lat":f,"lon":f,"country":"..","region":".."}, the
/// two strings omitempty.
struct service_geo {
  double lat = 0;
  double lon = 0;
  std::string country;
  std::string region;
  friend bool operator==(const service_geo&, const service_geo&) = default;
};

/// VPNInfo (filled by network monitors): every field omitempty.
struct service_info {
  double latency = 0;
  double uptime = 0;
  int64_t connections = 0;
  friend bool operator==(const service_info&, const service_info&) = default;
};

struct service_entry {
  public_key pk;
  skywire::port prt;  ///< routing port of the app, or the visor's stcpr TCP port
  std::string type;   ///< "visor", "vpn", "skysocks", ...
  std::string version;
  bool display_node_ip = false;
  std::vector<std::string> local_ips;
  std::optional<service_geo> geo;
  std::optional<service_info> info;
  friend bool operator==(const service_entry&, const service_entry&) = default;
};

/// json.Marshal form of one Service (omitempty fields left out).
std::string encode_service(const service_entry& s);
/// A JSON array of them (what the service answers).
std::string encode_service_list(const std::vector<service_entry>& list);

/// Reads one Service object.
expected<service_entry> decode_service(std::string_view text);
/// Reads the list answer: a JSON array (or null, an empty list) of Services.
expected<std::vector<service_entry>> decode_service_list(std::string_view text);

} // namespace skywire::wire
