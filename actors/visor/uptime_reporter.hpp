// The visor's uptime heartbeat (reference §1.6: "reports uptime to the UT
// every 5 minutes") as a visor child, started when the config has
// uptime_tracker.addr: one heartbeat at start, then one every interval,
// never two in flight (a tick that finds the last one unanswered is
// skipped). Failures are logged and counted; the next tick tries again.
// It answers the supervisor's status request:
//   {"url":..,"sent":n,"ok":n,"failed":n,"last_ok_unix":s,"last_error":".."}
// The requests go through uptime_client (plain class; bounded answers).
#pragma once

#include <chrono>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/transport/httpauth_client.hpp"
#include "messages/ids.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::visor {

struct uptime_reporter_config {
  std::string url; ///< uptime_tracker.addr
  public_key pk;
  secret_key sk;
  std::string version;                                 ///< sent as ?version=
  std::chrono::milliseconds interval{5 * 60 * 1000};   ///< the reference's 5 minutes
  transport::httpauth_client::options http;            ///< timeouts, dmsghttp sender
};

caf::actor spawn_uptime_reporter(caf::actor_system& sys, io::io_runtime& io,
                                 uptime_reporter_config cfg);

} // namespace skywire::visor
