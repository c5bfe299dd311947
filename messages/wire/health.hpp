// The /health answer of the services and of the visor's dmsghttp log server
// (skywire-utilities httputil.HealthCheckResponse):
//   {"build_info":{"version":…,"commit":…,"date":…},"started_at":"<RFC 3339>",
//    "dmsg_address":"pk:80","dmsg_servers":[…]}
// build_info, dmsg_address and dmsg_servers are omitempty in Go.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"

namespace skywire::wire {

struct build_info {
  std::string version;
  std::string commit;
  std::string date;
  friend bool operator==(const build_info&, const build_info&) = default;
};

struct health_response {
  std::optional<wire::build_info> build_info;
  std::string started_at; ///< RFC 3339 text, as written
  std::string dmsg_address;
  std::vector<std::string> dmsg_servers;
  friend bool operator==(const health_response&, const health_response&) = default;
};

/// Compact JSON in Go's field order, omitempty fields left out, no newline.
std::string encode_health(const health_response& h);

/// Reads what a service answers; unknown fields are ignored, build_info's
/// three strings and the two dmsg fields are optional, started_at required.
/// Strings are bounded (256 bytes; 64 servers).
expected<health_response> decode_health(std::string_view text);

inline constexpr size_t max_health_json = 32 * 1024;

} // namespace skywire::wire
