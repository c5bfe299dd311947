// One SOCKS5 client connection of `skywire dmsg web`: the SOCKS5 handshake
// (no authentication; CONNECT only), then `<pk>.dmsg[:port]` is dialed as the
// dmsg address pk:port (default port 80) and the connection becomes a pipe
// (pipe_core) between the socket and the dmsg stream. Any other host is
// refused with "host unreachable": dmsg web resolves only .dmsg names and
// never opens connections to the internet on a client's behalf.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/ids.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::dmsg_tools {

struct socks5_config {
  std::string suffix = ".dmsg";
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds dial_timeout{30'000};
};

/// `<66 hex>.dmsg` (any case of the suffix) to the public key; nullopt for
/// every other name.
std::optional<public_key> resolve_dmsg_name(std::string_view host, std::string_view suffix);

caf::actor spawn_socks5_session(caf::actor_system& sys, api::dmsg_client_actor dmsg_client,
                                io::stream_connection_ptr conn, socks5_config cfg);

} // namespace skywire::dmsg_tools
