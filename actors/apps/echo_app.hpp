// The `echo` app: listens on its routing port and sends every byte a route
// brings back on that route (the visor's ping echo, actors/routing, on a port
// of the operator's choice). Useful to check that routes reach a visor
// (`skywire cli visor ping`-like tools, tests) and as the smallest example of
// an app: it reports "Running" once it listens, and errors as values.
//
//   launcher.apps: {"name":"echo","binary":"skywire","args":["app","echo"],
//                   "auto_start":true,"port":10}
//
// It takes no arguments (any is refused: the app is errored, not started).
#pragma once

#include "actors/apps/app.hpp"

namespace skywire::apps {

expected<caf::actor> spawn_echo_app(const app_context& ctx);

} // namespace skywire::apps
