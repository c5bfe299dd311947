// A service's HTTP API on dmsg too (skywire-protocol.md §1.2: "services
// serve their normal HTTP API [on dmsg port 80] too"; §1.7 `--sk`; dmsg
// discovery `--sk`, dmsg-protocol.md §4): the service joins dmsg with its
// own key and serves the routes of its HTTP server on a dmsg port, through
// the server's external connections (actors/dmsg/dmsghttp.hpp): the same
// handlers, limits, deadlines and admission control as its TCP listener.
//
// The service's dmsg client keeps a session to every dmsg server the
// discovery lists (sessions 0), as the reference's services do: a visor in
// dmsghttp mode reaches the service through whichever pre-seeded server it
// has a session with, without a discovery lookup. It registers its client
// entry too, so visors that do look it up find it. The discovery URL may be
// the service's own (the dmsg discovery reaches itself over loopback HTTP).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services {

struct dmsg_front_config {
  public_key pk;
  secret_key sk;
  std::string discovery_url; ///< http:// (or dmsg:// with pre-seeded servers: not for services)
  uint16_t port = 80;        ///< the dmsg port the API is served on
  size_t sessions = 0;       ///< dmsg sessions to keep; 0 = every server listed
  /// How often the client re-reads the server list while it lacks sessions
  /// (new servers are joined within this).
  std::chrono::milliseconds refresh{10'000};
};

/// The running dmsg side of a service.
struct dmsg_front {
  caf::actor_system* sys = nullptr;
  api::dmsg_client_actor client;
  caf::actor listener;
  public_key pk;
  uint16_t port = 80;

  /// Stops listening, closes the client (its discovery entry is deleted),
  /// bounded by a few seconds; idempotent. Blocking: not from an actor.
  void stop();
};

/// Starts the dmsg client and serves `server` on cfg.port. Returns once the
/// port listens (the sessions come up in the background). Blocking: for a
/// service's start-up, not from an actor.
expected<dmsg_front> serve_over_dmsg(caf::actor_system& sys, io::io_runtime& io,
                                     std::shared_ptr<http::server> server,
                                     dmsg_front_config cfg);

} // namespace skywire::services
