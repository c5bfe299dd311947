// persistent_transports (reference §3.7, config §6.2): the transports a visor
// keeps up. The reference re-dials each missing one every 10 s with a 3 s
// timeout; we re-dial with back-off (dmsg::backoff: 1 s, x1.5, capped at
// 20 s), reset once the transport is up, so a peer that is back is reached
// within a second and an absent one costs a dial every 20 s. A transport to
// the same (pk, type) that the peer dialed counts as up: nothing is dialed
// while it lasts.
//
// Plain class, time injected; the manager asks due() on its tick and reports
// what happened to each transport.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "actors/dmsg/port_table.hpp"
#include "messages/ids.hpp"

namespace skywire::transport {

struct persistent_target {
  public_key pk;
  std::string type;
  friend bool operator==(const persistent_target&, const persistent_target&) = default;
};

class persistent_keeper {
public:
  using clock = std::chrono::steady_clock;

  struct backoff_params {
    double initial_ms = 1000;
    double factor = 1.5;
    double max_ms = 20'000;
  };

  persistent_keeper(std::vector<persistent_target> targets, backoff_params b,
                    clock::time_point now);
  explicit persistent_keeper(std::vector<persistent_target> targets = {})
    : persistent_keeper(std::move(targets), backoff_params{}, clock::now()) {}

  /// The targets to dial now (each is then "dialing" until reported).
  std::vector<persistent_target> due(clock::time_point now);

  /// A transport to (pk, type) is up (ours or the peer's): back-off reset.
  void up(const public_key& pk, std::string_view type);
  /// A dial to (pk, type) failed: next attempt after the back-off.
  void failed(const public_key& pk, std::string_view type, clock::time_point now);
  /// An up transport to (pk, type) ended: next attempt after the back-off
  /// (the first one soon, since up() reset it).
  void down(const public_key& pk, std::string_view type, clock::time_point now);

  bool contains(const public_key& pk, std::string_view type) const;
  const std::vector<persistent_target>& targets() const noexcept { return targets_; }
  /// When the next target is due (time_point::max() when none waits).
  clock::time_point next_due() const;

private:
  enum class state : uint8_t { waiting, dialing, up };
  struct slot {
    state st = state::waiting;
    clock::time_point next;
    dmsg::backoff delay;
  };
  slot* find(const public_key& pk, std::string_view type);
  void wait(slot& s, clock::time_point now);

  std::vector<persistent_target> targets_;
  std::vector<slot> slots_;
};

} // namespace skywire::transport
