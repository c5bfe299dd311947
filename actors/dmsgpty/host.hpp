// The dmsgpty host actor (the reference's dmsgpty.Host): listens on a dmsg
// port through the dmsg client and on a local CLI unix socket, and spawns
// one session actor per connection (session.hpp).
//  - dmsg peers: only `dmsgpty/pty`, and only when the stream's remote PK is
//    in the whitelist; others get the reject byte and the stream is closed.
//  - CLI socket (mode 0600): pty, whitelist and proxy.
//  - At most max_sessions connections at once (more are rejected).
// Whitelist changes through the CLI are kept in memory and, when a config
// file was given, written to its "wl" array (other keys left as they were).
// Protocol: messages/api/dmsgpty.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/dmsgpty/session.hpp"
#include "messages/ids.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::dmsgpty {

struct host_config {
  uint16_t dmsg_port = 22;
  std::string cli_address = "/tmp/dmsgpty.sock"; ///< unix socket path; empty = none
  std::vector<public_key> whitelist;
  std::string config_path; ///< where to persist "wl"; empty = memory only
  size_t max_sessions = 32;
  session_limits limits;
};

caf::actor spawn_host(caf::actor_system& sys, io::io_runtime& io, api::dmsg_client_actor dmsg_client,
                      host_config cfg);

/// Rewrites the "wl" array of the JSON object in `path` (creating the file
/// when missing) atomically (temp file + rename).
caf::error write_whitelist(const std::string& path, const std::vector<public_key>& wl);

} // namespace skywire::dmsgpty
