// The dmsg client actor (messages/api/dmsg.hpp, client protocol) and its start
// function.
//
// Start-up as the reference (dmsg-protocol.md §1): GET available_servers
// (most free first), open sessions until `sessions_count` are up (0 = every
// listed server), register the client entry with delegated_servers = servers
// with a live session, refresh it on every change. A lost session is
// re-established with back-off (1 s x1.5, capped at 20 s), re-reading the
// server list. dial(pk:port) looks up the remote's entry and uses a session
// to one of its delegated servers, joining one if needed. Streams are actors
// (stream.hpp); sessions are actors (session.hpp).
//
// Typed: api::dmsg_client_actor (messages/api/dmsg.hpp: dial, listen,
// unlisten, info, ready, close), the owner side of its sessions
// (api::link_owner_actor: link up/down/error) and the supervisor's status
// request (system::info_provider_actor); discovery answers and timers are
// private messages of client.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/ids.hpp"
#include "messages/wire/dmsg/discovery_entry.hpp"
#include "runtime/config/visor_config.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::dmsg {

struct client_config {
  public_key pk;
  secret_key sk;
  std::string discovery_url = "http://127.0.0.1:9090";
  /// Sessions to keep (0 = all available servers). The reference default is 1.
  size_t sessions_count = 1;
  /// Fixed server entries: used instead of asking the discovery for servers.
  std::vector<wire::dmsg::entry> servers;
  /// dmsghttp mode (skywire-protocol.md §3.2 step 4): keys reached through
  /// the pre-seeded `servers` without a discovery lookup (the services,
  /// the dmsg discovery among them). A dial to one of them tries those
  /// servers' sessions. With a dmsg:// discovery_url, the discovery itself
  /// is reached this way (HTTP over a stream of this client, dmsghttp.hpp).
  std::vector<public_key> direct;
  /// Written as the entry's client_type when non-empty ("visor").
  std::string client_type;
  /// Whether to register the client entry (discovery-less tools may not).
  bool register_entry = true;
  std::chrono::milliseconds discovery_timeout{10'000};
  std::chrono::milliseconds session_handshake_timeout{5'000};
  std::chrono::milliseconds stream_handshake_timeout{20'000};
  std::chrono::milliseconds keepalive{30'000};
  /// Re-read the server list this often while below sessions_count.
  std::chrono::milliseconds refresh{60'000};
  /// Re-post our own entry at least this often (with register_entry): the
  /// discovery expires client entries that are not refreshed (ours after 10
  /// minutes, dmsg_discovery_config::client_ttl). Checked every `refresh`.
  std::chrono::milliseconds entry_refresh{120'000};
  double backoff_initial_ms = 1000;
  double backoff_factor = 1.5;
  double backoff_max_ms = 20'000;
};

/// Spawns the client; it starts connecting at once. `io` must outlive it.
/// The actor also answers the supervisor's status request
/// (system::info_atom -> JSON text: an array of sessions); a supervisor
/// holds it as the caf::actor of this handle.
api::dmsg_client_actor spawn_dmsg_client(caf::actor_system& sys, io::io_runtime& io,
                                         client_config cfg);

/// The client configuration of a visor: its keys, the `dmsg` section
/// (discovery, sessions_count, pre-seeded servers), client_type "visor".
/// dmsghttp mode (a dmsg:// discovery) needs pre-seeded servers; the key of
/// every dmsg:// service URL of the config is then reached directly.
expected<client_config> client_config_from(const config::visor_config& cfg);

/// JSON text of the sessions of an info answer (the visor shows it as
/// "dmsg_sessions"): [{"server","address","state","streams","bytes_in","bytes_out"}].
std::string sessions_json(const api::client_info& info);

} // namespace skywire::dmsg
