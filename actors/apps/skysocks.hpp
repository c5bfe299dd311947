// skysocks (reference §5.5): the SOCKS5 server app. Listens on its routing
// port (3); every route that arrives carries a hashicorp yamux server
// session whose streams are SOCKS5 connections (actors/apps/yamux_route:
// the data plane on the route's io shard). Arguments: --passcode <p>
// (username/password required; either equal to it is accepted).
//
// Without a passcode it registers itself in the service discovery of
// launcher.service_discovery (type "skysocks", <pk>:<port>, this build's
// version, launcher.display_node_ip), refreshes the entry every 5 minutes
// (ours expire; the reference registers once), retries with back-off while
// the discovery is unreachable, and deletes the entry when stopped
// (actors/apps/sd_registration.hpp).
//
// The actor only steers: it listens, attaches a yamux_route to each route
// group, hands over the bytes the group sent before, and closes the group
// when its session ends (or the session when the group ends). Status to
// the launcher: "Running" once listening.
#pragma once

#include <caf/actor.hpp>

#include "actors/apps/app.hpp"
#include "messages/error.hpp"

namespace skywire::apps {

/// The routing port skysocks listens on by default.
inline constexpr uint16_t skysocks_port = 3;

/// The factory (app_factory): spawns the app, or the error of bad arguments.
expected<caf::actor> spawn_skysocks(const app_context& ctx);

} // namespace skywire::apps
