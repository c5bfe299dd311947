// skysocks-client (reference §5.5): dials <srv pk>:3 over a route, runs a
// hashicorp yamux client session on it and listens on TCP (--addr, default
// 127.0.0.1:1080); every accepted connection is one yamux stream, bytes
// copied both ways without parsing SOCKS (actors/apps/yamux_route, on the
// route's io shard: the listener accepts onto that shard).
//
// Arguments: --srv <pk> (required), --addr <host:port> (":1080" = every
// interface), --http <host:port> (an HTTP proxy next to the SOCKS5 one:
// CONNECT tunnels and absolute-URI requests, each connection one yamux
// stream whose SOCKS5 handshake with the server the client does itself —
// actors/apps/http_proxy_exchange; "" or absent: none), --min-hops <n>
// (0: the visor's routing.min_hops).
// When the route or its session ends (seen at once, and by a 15 s watchdog
// as the reference's), the listener closes, every local connection is reset,
// the status turns "Connection failed, reconnecting" and the route is dialed
// again with a growing pause (1 s doubling to 30 s). Status "Connecting",
// then "Running" with the listener up.
#pragma once

#include <caf/actor.hpp>

#include "actors/apps/app.hpp"
#include "messages/error.hpp"

namespace skywire::apps {

/// The factory (app_factory).
expected<caf::actor> spawn_skysocks_client(const app_context& ctx);

} // namespace skywire::apps
