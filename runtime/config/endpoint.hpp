// The local control endpoint named by `cli_addr` (and `skywire cli --rpc`):
// either a unix socket path or a loopback TCP host:port.
//
//   unix:///run/skywire/cli.sock   unix socket (absolute path)
//   /abs/path.sock, ./rel.sock     unix socket (anything starting with / or ./ or ../)
//   localhost:3435, 127.0.0.1:3435, [::1]:3435   loopback TCP
//
// Non-loopback TCP hosts are refused: the CLI socket has no authentication.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "messages/error.hpp"

namespace skywire::config {

struct local_endpoint {
  enum class kind : uint8_t { unix_socket, tcp };
  kind type = kind::tcp;
  std::string path; ///< unix_socket: the file path
  std::string host; ///< tcp: "127.0.0.1" or "::1" (localhost maps to 127.0.0.1)
  uint16_t port = 0;

  bool is_unix() const noexcept { return type == kind::unix_socket; }
  /// Canonical text: "unix://<path>" or "host:port" ("[::1]:port").
  std::string to_string() const;
};

/// Parses a cli_addr / --rpc value. The error context says what is wrong.
expected<local_endpoint> parse_local_endpoint(std::string_view text);

} // namespace skywire::config
