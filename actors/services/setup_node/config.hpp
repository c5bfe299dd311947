// The setup node's configuration file (reference §1.9), JSON:
//   {"public_key": "<66 hex>", "secret_key": "<64 hex>",
//    "dmsg": {"discovery": "<url>", "sessions_count": n, "servers": [<dmsg entry>, ...],
//             "servers_type": "..."},
//    "transport_discovery": "<url>", "log_level": "info"}
// Unknown keys are ignored, as Go's encoding/json does; the keys above are
// checked (types, a secret key that matches the public key, server entries).
#pragma once

#include <string>
#include <string_view>

#include "actors/dmsg/client.hpp"
#include "messages/error.hpp"

namespace skywire::services::setup_node {

struct node_file_config {
  dmsg::client_config dmsg;        ///< keys, discovery, sessions, pre-seeded servers
  std::string transport_discovery; ///< kept (the reference's node does not use it either)
  std::string log_level = "info";
};

/// At most this many bytes of configuration are read.
inline constexpr size_t max_config_size = 1 << 20;

expected<node_file_config> parse_node_config(std::string_view json);

} // namespace skywire::services::setup_node
