// Public autoconnect (reference §3.7, config transport.public_autoconnect):
// keep up to `target` (the reference's 3) stcpr transports labelled
// `automatic` to public visors that the service discovery lists.
//
// The reference fetches a random sample of 3 visors every 10 s, dials those
// not yet connected, gives each key at most 2 failed attempts, and once 3
// automatic transports exist its loop returns for good: transports that drop
// later are never replaced until the visor restarts. Here the loop never
// ends: below the target it fetches (every fetch_every, the reference's 10 s;
// after a failed fetch with back-off) and dials; at the target it rests; when
// an automatic transport drops it tops up again. A peer whose dial failed or
// whose transport dropped waits its own back-off (5 s, doubling, at most
// 5 minutes; reset once a transport to it is up) instead of being dropped
// after two failures.
//
// Plain class, no I/O, time injected; the state per candidate is
//   idle (waiting until next_try) -> dialing -> up -> idle (after a drop)
//                                 \-> idle (dial failed, back-off grows)
// Its driver (autoconnect_actor.hpp) calls poll() on a tick, runs the fetch
// and the dials it asks for, and reports their outcome.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include "actors/dmsg/port_table.hpp"
#include "messages/ids.hpp"

namespace skywire::transport {

struct autoconnect_params {
  /// Automatic transports kept up (the reference's 3).
  size_t target = 3;
  /// Visors asked per fetch (the reference's quantity=3).
  size_t fetch_quantity = 3;
  /// Between two fetches while below the target (the reference's 10 s).
  std::chrono::milliseconds fetch_every{10'000};
  /// After a failed fetch: fetch_every, doubling, at most this.
  std::chrono::milliseconds fetch_backoff_max{300'000};
  /// Per peer, after a failed dial or a drop.
  std::chrono::milliseconds peer_backoff{5'000};
  double peer_backoff_factor = 2;
  std::chrono::milliseconds peer_backoff_max{300'000};
  /// Candidates remembered (the oldest idle ones are forgotten first).
  size_t max_candidates = 64;
};

class public_autoconnect {
public:
  using clock = std::chrono::steady_clock;
  using connected_fn = std::function<bool(const public_key&)>;

  struct actions {
    bool fetch = false;             ///< ask the service discovery now
    std::vector<public_key> dial;   ///< dial these (stcpr, label automatic)
  };

  public_autoconnect(public_key self, autoconnect_params p, clock::time_point now);

  /// What to do now. Candidates for which `connected` says a transport
  /// exists already (of any type or label) are not dialed.
  actions poll(clock::time_point now, const connected_fn& connected = {});

  /// The fetch's answer: the listed visors (ourselves skipped) become
  /// candidates, in the order listed, after the ones known.
  void fetched(const std::vector<public_key>& visors, clock::time_point now);
  void fetch_failed(clock::time_point now);

  /// A dial that poll() asked for came up: counted toward the target.
  void dial_up(const public_key& pk);
  /// ... or failed: the peer waits its back-off.
  void dial_failed(const public_key& pk, clock::time_point now);
  /// An automatic transport to pk ended: counted out (so the next poll tops
  /// up); the peer waits its back-off before it is dialed again.
  void down(const public_key& pk, clock::time_point now);

  size_t up() const noexcept;
  size_t dialing() const noexcept;
  size_t candidates() const noexcept { return peers_.size(); }
  bool fetching() const noexcept { return fetching_; }
  const autoconnect_params& params() const noexcept { return p_; }

private:
  enum class state : uint8_t { idle, dialing, up };
  struct peer {
    public_key pk;
    state st = state::idle;
    clock::time_point next_try;
    dmsg::backoff delay;
  };
  peer* find(const public_key& pk);
  void wait(peer& p, clock::time_point now);
  size_t count(state s) const noexcept;

  public_key self_;
  autoconnect_params p_;
  std::vector<peer> peers_; ///< in the order first listed
  bool fetching_ = false;
  clock::time_point next_fetch_;
  dmsg::backoff fetch_delay_;
};

} // namespace skywire::transport
