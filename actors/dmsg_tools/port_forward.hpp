// `skywire dmsg web srv`: every stream accepted on a dmsg port is piped to a
// local TCP port (127.0.0.1), with an optional PK whitelist.
#pragma once

#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/ids.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::dmsg_tools {

struct port_forward_config {
  uint16_t dmsg_port = 80;
  std::string local_host = "127.0.0.1";
  uint16_t local_port = 8086;
  std::vector<public_key> whitelist; ///< empty = everyone
};

/// Asked with (caf::ok_atom) it starts listening and answers ok or an error.
caf::actor spawn_port_forward(caf::actor_system& sys, io::io_runtime& io, api::dmsg_client_actor dmsg_client,
                              port_forward_config cfg);

} // namespace skywire::dmsg_tools
