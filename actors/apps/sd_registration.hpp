// An app's own entry in the service discovery (reference §5.3: skysocks and
// vpn-server register when started without --passcode, and delete their
// entry when stopped). Unlike the reference, which registers once, the entry
// is registered again every `refresh` (our service discovery expires
// entries not refreshed within its entry TTL, 15 minutes by default:
// actors/services/service_discovery/api.hpp), and a failed registration is
// retried with a growing pause (min_backoff doubling to max_backoff).
//
// sd_registration is the plain state machine (no clocks, no I/O: the app's
// actor, through sd_registrar below, asks it what to do next and tells it
// what happened); tests drive it directly.
//
//   idle --start--> registering --ok--> registered --refresh due--> registering
//                        |  \--failed--> backing_off --pause over--> registering
//   any --stop--> stopped (delete the entry when one may be stored)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/transport/sd_client.hpp"
#include "messages/error.hpp"
#include "messages/wire/service_discovery.hpp"

namespace skywire::apps {

struct sd_registration_params {
  std::chrono::milliseconds refresh{5 * 60 * 1000}; ///< a third of the SD's 15 min TTL
  std::chrono::milliseconds min_backoff{1000};
  std::chrono::milliseconds max_backoff{60 * 1000};
};

class sd_registration {
public:
  enum class phase : uint8_t { idle, registering, registered, backing_off, stopped };
  using params = sd_registration_params;

  explicit sd_registration(params p = {});

  /// Starts: a registration is to be sent now (false when not idle).
  bool start();
  /// A timer of `generation` fired: true when a registration is to be sent
  /// now (false for a stale timer, or one that finds a request in flight).
  bool timer(uint64_t generation);
  /// The answer to the registration in flight: the pause until the next
  /// timer (refresh after a success, back-off after a failure), tagged with
  /// the generation the timer must carry; nullopt when stopped meanwhile.
  struct next_timer {
    std::chrono::milliseconds delay;
    uint64_t generation;
  };
  std::optional<next_timer> answered(bool ok);
  /// Stops for good: true when the entry must be deleted (a registration
  /// was accepted, or one was sent and its answer is unknown).
  bool stop();

  phase current() const noexcept { return phase_; }
  uint64_t registrations() const noexcept { return ok_; }
  uint64_t failures() const noexcept { return failed_; }
  uint32_t consecutive_failures() const noexcept { return streak_; }
  const params& settings() const noexcept { return p_; }

private:
  params p_;
  phase phase_ = phase::idle;
  uint64_t generation_ = 0;
  uint64_t ok_ = 0;
  uint64_t failed_ = 0;
  uint32_t streak_ = 0;
  bool maybe_stored_ = false;
};

const char* to_string(sd_registration::phase p) noexcept;

using sd_reg_tick_atom = caf::atom_constant<caf::atom("sdreg_tick")>;
using sd_reg_done_atom = caf::atom_constant<caf::atom("sdreg_done")>;

/// The glue inside an app's actor: owns the client and the state machine,
/// sends the requests, arms the timers. The actor forwards
///   (sd_reg_tick_atom, uint64_t generation)  -> on_tick
///   (sd_reg_done_atom, caf::error)           -> on_done
/// and calls stop() from its on_exit (the deletion is sent without waiting
/// for its answer: the app is ending).
class sd_registrar {
public:
  sd_registrar(caf::event_based_actor* self, transport::sd_client sd, wire::service_entry entry,
               std::string component, sd_registration_params p = {});

  void start();
  void on_tick(uint64_t generation);
  void on_done(const caf::error& err);
  void stop();

  const sd_registration& state() const noexcept { return reg_; }

private:
  void send_registration();

  caf::event_based_actor* self_;
  transport::sd_client sd_;
  wire::service_entry entry_;
  std::string component_;
  sd_registration reg_;
};

/// What an app registers (reference §5.3): `type` at <pk>:<port>, version =
/// this build's, display_node_ip from the launcher config.
wire::service_entry app_service_entry(const public_key& pk, uint16_t port, std::string type,
                                      bool display_node_ip);

} // namespace skywire::apps
