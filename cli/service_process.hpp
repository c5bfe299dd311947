// What every foreground service command (`skywire dmsg disc`, `skywire svc
// tpd`, ...) does before it starts listening.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

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

/// "<pk>:<port>" of the dmsghttp side, as a service's /health shows it; ""
/// without one.
std::string dmsg_address(const std::optional<services::dmsg_front_config>& dmsg);

/// The command line of an HTTP `svc` command: -h, -a ADDR and -l LEVEL come
/// first in its help, then the service's own options (add them to `desc`),
/// then the dmsghttp flags; parse() reads them all, then the shared ones
/// (read_service_start). Keep it where it was made (`desc` points into it).
class service_command {
public:
  /// `usage`: the help's text after "usage: <argv0>"; `addr`: the default
  /// listen address, named `addr_help` in the help.
  service_command(std::string argv0, const std::string& usage, std::string addr,
                  const std::string& addr_help = "listen address");
  service_command(const service_command&) = delete;
  service_command& operator=(const service_command&) = delete;

  boost::program_options::options_description desc;

  /// Nullopt when the command goes on (start() is set), else its exit code:
  /// --help, or a bad flag or value (printed).
  std::optional<int> parse(const std::vector<std::string>& args);

  const service_start& start() const { return *start_; }

  /// Sets cfg.host, cfg.port and cfg.dmsg_address from start().
  template <class Config>
  void configure(Config& cfg) const {
    cfg.host = start_->host;
    cfg.port = start_->port;
    cfg.dmsg_address = dmsg_address(start_->dmsg);
  }

  /// Prints "<argv0>: <why>"; exit_usage.
  int usage_error(const std::string& why) const;

private:
  std::string argv0_;
  std::string addr_;
  std::string loglvl_ = "info";
  service_dmsg_flags dmsg_;
  std::optional<service_start> start_;
};
std::optional<service_start> read_service_start(const std::string& argv0, const std::string& loglvl,
                                                const std::string& addr,
                                                const service_dmsg_flags& dmsg_flags);

/// The io runtime (one shard) and the actor system a service process runs
/// on, made after the descriptor limit is raised (raise_nofile) and
/// SIGINT/SIGTERM are blocked, before any thread exists.
class service_runtime {
  struct prepare {
    prepare();
  } prepared_;

public:
  service_runtime();

  io::io_runtime io{1};

private:
  caf::actor_system_config caf_cfg_;

public:
  caf::actor_system sys;
};

/// Serves `server` over dmsghttp too when `dmsg` is set, then waits for
/// SIGINT/SIGTERM and stops the dmsg side, the service (`stop`) and the io
/// runtime, logging "<what> stopped". exit_ok, or exit_failure when the
/// dmsg side cannot start.
int serve_until_stopped(const std::string& argv0, const char* component, const char* what,
                        service_runtime& rt, std::shared_ptr<http::server> server,
                        const std::function<void()>& stop,
                        const std::optional<services::dmsg_front_config>& dmsg);

/// Prints why a service did not start; exit_failure.
int service_start_failed(const std::string& argv0, const caf::error& why);

/// Runs one HTTP service process until SIGINT/SIGTERM: `start(sys, io)`
/// spawns it on a service_runtime and returns expected<handle> (an
/// http_service_handle, or a handle with one in `http`, and a stop());
/// `started(handle)` logs where it listens, before the dmsg side starts
/// (it may still adjust the dmsg config `dmsg` refers to); then
/// serve_until_stopped.
template <class Start, class Started>
int run_http_service(const std::string& argv0, const char* component, const char* what,
                     const std::optional<services::dmsg_front_config>& dmsg, Start&& start,
                     Started&& started) {
  service_runtime rt;
  auto h = start(rt.sys, rt.io);
  if (!h)
    return service_start_failed(argv0, h.error());
  started(*h);
  std::shared_ptr<http::server> server;
  if constexpr (requires { h->http.server; })
    server = h->http.server;
  else
    server = h->server;
  return serve_until_stopped(argv0, component, what, rt, std::move(server), [&h] { h->stop(); },
                             dmsg);
}

} // namespace skywire::cli
