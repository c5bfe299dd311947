// What every foreground service command (`skywire dmsg disc`, `skywire svc
// tpd`, ...) does before it starts listening.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/program_options/options_description.hpp>

#include "actors/services/dmsg_front.hpp"
#include "actors/services/http_service.hpp"

namespace skywire::cli {

/// Sets the process log level from its name; prints why and returns false
/// for an unknown one.
bool apply_log_level(const std::string& text);

/// A listener holds a descriptor per connection it admits: use the hard
/// limit (admission control bounds how many it keeps).
void raise_nofile();

/// A service's dmsghttp side (actors/services/dmsg_front.hpp): --sk (the
/// reference's flag: with it the service also serves its HTTP API over
/// dmsg), --dmsg-disc (the discovery its dmsg client uses), --dmsgPort (the reference's names).
struct service_dmsg_flags {
  std::string sk_hex;
  std::string discovery = "http://dmsgd.skywire.skycoin.com";
  uint16_t port = 80;
  /// with_discovery false: the dmsg discovery itself (it uses its own URL).
  void add_to(boost::program_options::options_description& desc, bool with_discovery);
  /// Nullopt without --sk; prints why and sets `ok` false on a bad flag.
  std::optional<services::dmsg_front_config> config(const std::string& argv0, bool& ok) const;
};

/// Starts the dmsg side of a service (when configured) and logs where it
/// listens; nullopt (after printing why) when it cannot start.
std::optional<services::dmsg_front> start_dmsg_front(const std::string& argv0, const char* component,
                                                     caf::actor_system& sys, io::io_runtime& io,
                                                     std::shared_ptr<http::server> server,
                                                     const services::dmsg_front_config& cfg);

/// What a `svc` command reads after its own flags: the log level applied,
/// the listen address split (an empty host: all interfaces), the dmsghttp
/// side. Nullopt after printing why (the command exits exit_usage).
struct service_start {
  std::string host;
  uint16_t port = 0;
  std::optional<services::dmsg_front_config> dmsg;
};
std::optional<service_start> read_service_start(const std::string& argv0, const std::string& loglvl,
                                                const std::string& addr,
                                                const service_dmsg_flags& dmsg_flags);

/// Serves `h` over dmsghttp too when `dmsg` is set, then waits for
/// SIGINT/SIGTERM and stops the dmsg side, the service and `io`, logging
/// "<what> stopped". exit_ok, or exit_failure when the dmsg side cannot start.
int serve_until_stopped(const std::string& argv0, const char* component, const char* what,
                        caf::actor_system& sys, io::io_runtime& io,
                        services::http_service_handle& h,
                        const std::optional<services::dmsg_front_config>& dmsg);

} // namespace skywire::cli
