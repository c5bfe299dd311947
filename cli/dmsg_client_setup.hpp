// What every `skywire dmsg` client tool shares: flags for the identity and the
// discovery, and a running dmsg client with its actor system and io loop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/program_options.hpp>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/ids.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::cli {

struct dmsg_client_flags {
  std::string sk_hex;      ///< -s; empty = a fresh key pair
  std::string discovery = "http://dmsgd.skywire.skycoin.com";
  int sessions = 1;
  std::string loglvl = "warn";
  int ready_timeout_s = 30;
  /// Adds -s, -D/--dmsg-disc, -e/--sess, -l/--loglvl and --ready-timeout.
  void add_to(boost::program_options::options_description& desc);
};

/// Why dmsg_client_process::start failed.
enum class start_failure : uint8_t {
  none,
  config,     ///< bad -s, --sess or discovery URL (exit 1)
  discovery,  ///< the discovery is unreachable or failed (curl's 6: could not resolve)
  no_session, ///< no session to any dmsg server in time (curl's 7: could not connect)
};

/// The exit code a tool uses for a failed start: 1 for a config error, else
/// curl's (6 discovery, 7 no session).
int exit_code_for(start_failure why) noexcept;

/// A dmsg client and what it runs on. Destruction closes the client (its
/// discovery entry is deleted) and stops everything.
class dmsg_client_process {
public:
  ~dmsg_client_process();

  /// Starts the client and waits until it has a session and a stored entry.
  /// On failure prints what failed in words and returns nullptr; `why` (if
  /// given) says which kind of failure it was.
  static std::unique_ptr<dmsg_client_process> start(const std::string& argv0,
                                                    const dmsg_client_flags& flags,
                                                    start_failure* why = nullptr);

  caf::actor_system& system() { return *sys_; }
  io::io_runtime& io() { return *io_; }
  const api::dmsg_client_actor& client() const { return client_; }
  const public_key& pk() const { return pk_; }

private:
  dmsg_client_process() = default;
  std::unique_ptr<io::io_runtime> io_;
  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  api::dmsg_client_actor client_;
  public_key pk_;
};

} // namespace skywire::cli
