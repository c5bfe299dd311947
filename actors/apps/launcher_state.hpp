// The launcher's bookkeeping as a plain class (no actors, no clocks of its
// own: tests drive it with explicit time points). The actor around it
// (actors/apps/launcher) spawns, monitors and stops; this class decides.
//
// Per app of launcher.apps: its state (messages/api/app.hpp numbering:
// stopped, starting, running, errored) with the detailed status the app
// reports (or the launcher's own: "Starting", "Stopped", "Crashed: …;
// restarting in 2s", …), the last error, the restart policy
// (system::restart_tracker: back-off and a cap inside a window), and a
// bounded ring of status/error lines for `cli visor app log`.
//
//   stopped  --start-->  starting  --a status other than "Starting", or
//                                    alive for running_after without any
//                                    status-->  running
//   starting/running --exit(normal|user_shutdown) or stop--> stopped
//   starting/running --abnormal exit--> errored, restarted after the
//                                       back-off (restart_pending), or given
//                                       up once the cap is reached
//   any      --start (by a user)--> starting with a fresh restart budget
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/api/launcher.hpp"
#include "messages/error.hpp"
#include "runtime/config/visor_config.hpp"
#include "runtime/system/restart_policy.hpp"

namespace skywire::apps {

using wall_clock = std::chrono::system_clock;
using steady_clock = std::chrono::steady_clock;

/// Which built-in app an entry of launcher.apps runs, and with which
/// arguments: the single-binary form (binary "skywire", args ["app",
/// "<name>", …]) names it after "app" and passes the rest; any other entry
/// runs the app of its `name` with its args as they are.
struct resolved_entry {
  std::string app;
  std::vector<std::string> args;
};
resolved_entry resolve_entry(const config::app_config& c);

/// Whether `name` can be a folder name under local_path (no '/', not "." or
/// "..", not empty, at most 64 bytes, no control characters).
bool is_safe_app_name(std::string_view name);

struct launcher_limits {
  /// The apps' restart policy: transient (an app that ends by itself or is
  /// stopped stays down), 1 s back-off doubling to 30 s, at most 5 restarts
  /// a minute, healthy again after 30 s up.
  system::restart_policy policy{system::restart_kind::transient, std::chrono::milliseconds{1000},
                                2.0, std::chrono::milliseconds{30'000}, 5,
                                std::chrono::milliseconds{60'000},
                                std::chrono::milliseconds{30'000}};
  /// An app that reported no status is running once it stayed up this long.
  std::chrono::milliseconds running_after{1000};
  size_t log_lines = 256;  ///< per app; the oldest go first
  size_t line_bytes = 512; ///< a longer status or error is cut
};

class launcher_state {
public:
  struct log_line {
    int64_t unix_ns = 0;
    std::string text; ///< "<RFC3339Nano> <what>"
  };

  struct entry {
    config::app_config cfg;
    resolved_entry run;
    bool known = false; ///< the registry has run.app
    api::app_state state = api::app_state::stopped;
    std::string detailed_status;
    std::string error;
    system::restart_tracker tracker;
    uint64_t generation = 0; ///< bumped at every spawn
    bool stop_requested = false;
    bool restart_pending = false;
    bool reported = false; ///< the app sent a status since its spawn
    std::deque<log_line> log;
  };

  /// What to do after an app ended.
  struct after_exit {
    bool restart = false;
    std::chrono::milliseconds delay{0};
    uint64_t generation = 0; ///< for the restart timer (stale when it moved on)
  };

  /// `known` says whether the registry has an app; unknown (or unsafe)
  /// names are errored from the start, with a status that says why.
  launcher_state(const std::vector<config::app_config>& apps,
                 const std::function<bool(std::string_view)>& known,
                 std::vector<std::string> known_names, launcher_limits limits = {});

  entry* find(std::string_view name);
  const entry* find(std::string_view name) const;
  const std::vector<entry>& entries() const noexcept { return apps_; }
  const launcher_limits& limits() const noexcept { return limits_; }

  /// The names to start at boot (auto_start and runnable), in config order.
  std::vector<std::string> auto_start_names() const;

  /// Why `name` cannot be started ("" when it can).
  std::string cannot_start(std::string_view name) const;

  /// A spawn is about to happen: starting, "Starting"; a user's start
  /// (`by_user`) gets a fresh restart budget. Returns the new generation.
  uint64_t spawning(std::string_view name, bool by_user, steady_clock::time_point now,
                    wall_clock::time_point wall);
  /// The factory refused (bad arguments): errored, not restarted.
  void spawn_failed(std::string_view name, const std::string& why, wall_clock::time_point wall);
  /// The app reported a detailed status: running (unless it says
  /// "Starting").
  void status(std::string_view name, std::string text, wall_clock::time_point wall);
  /// The app reported an error (kept as its last error; the state stays).
  void error(std::string_view name, std::string text, wall_clock::time_point wall);
  /// The running_after timer of `generation`: starting -> running when the
  /// app is still up and reported nothing. False when stale or not applied.
  bool promote(std::string_view name, uint64_t generation, wall_clock::time_point wall);
  /// A user asked to stop it: true when an app is up and must be sent
  /// exit(user_shutdown); false when it was down already (now stopped).
  bool stop_requested(std::string_view name, wall_clock::time_point wall);
  /// The app's actor ended with `reason` (abnormal: anything but
  /// none/normal/user_shutdown, described by `why`).
  after_exit exited(std::string_view name, bool abnormal, const std::string& why,
                    steady_clock::time_point now, wall_clock::time_point wall);
  /// The restart timer of `generation` fired: true when it is still due.
  bool restart_due(std::string_view name, uint64_t generation) const;
  /// The entry of c.name replaced by `c` (its state, restart budget and
  /// detailed status afresh, its log kept), or `c` added; false (nothing
  /// changed) while that app is starting, running or stopping.
  bool configure(const config::app_config& c, const std::function<bool(std::string_view)>& known,
                 wall_clock::time_point wall);
  /// auto_start in memory (the file is written by the visor's config_owner).
  void set_auto_start(std::string_view name, bool on, wall_clock::time_point wall);

  api::app_summary summary(const entry& e) const;
  std::vector<api::app_summary> summaries() const;
  /// The log lines stamped at or after `since_unix_ns`, oldest first.
  std::vector<std::string> logs_since(std::string_view name, int64_t since_unix_ns) const;

private:
  void init_entry(entry& x, const config::app_config& c,
                  const std::function<bool(std::string_view)>& known, wall_clock::time_point now);
  void set_state(entry& e, api::app_state s, std::string status, wall_clock::time_point wall);
  void log(entry& e, std::string what, wall_clock::time_point wall);

  std::vector<entry> apps_;
  std::vector<std::string> known_names_;
  launcher_limits limits_;
};

/// launcher.apps[name] with `flags` ({flag, value, flag, value, …}; an empty
/// value removes the flag) set in its args (app_flags.hpp: set_flag): the
/// reference's StartSkysocksClient (--srv) and `proxy start -n` (AddApp).
/// Without such an entry, a new one running `app` (single-binary form,
/// auto_start off) on `preferred_port` if free, else the lowest free routing
/// port of 10..99. An error when the entry runs another app.
expected<config::app_config> app_with_flags(const std::vector<config::app_config>& apps,
                                            const std::string& name, const std::string& app,
                                            const std::vector<std::string>& flags,
                                            uint16_t preferred_port);

/// Parses RFC 3339 (with or without fractional seconds; "Z" or ±hh:mm) into
/// ns since the epoch; "beginning" is 0 (the reference's word for all).
std::optional<int64_t> parse_rfc3339_ns(std::string_view text);

} // namespace skywire::apps
