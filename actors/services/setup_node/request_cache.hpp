// Idempotent retries of the setup node: a request is identified by its
// caller and the exact route it asks for (descriptor, keep-alive, hops). A
// repeat while the first is still being set up joins it; a repeat after it
// finished (within `ttl`) gets the same answer, unless the caller showed it
// had that answer (closed the stream cleanly after it was written: the
// setup node then forgets the request, so the same route asked again is a
// new dial with new rules). Nothing else is a second route. Bounded: at
// most `capacity` entries; finished entries are dropped oldest first to make
// room, and a full table of unfinished requests refuses new ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/ids.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"

namespace skywire::services::setup_node {

namespace rs = wire::rpc::route_setup;

/// The answer to one route request: the source's edge rules or the failure
/// text (routing.Failure.Error()).
struct outcome {
  std::optional<rs::edge_rules> rules;
  std::string error;
};

struct request_key {
  public_key caller;
  std::vector<uint8_t> route; ///< desc | keep-alive | forward hops | reverse hops
  friend auto operator<=>(const request_key&, const request_key&) = default;
};

request_key make_key(const public_key& caller, const rs::bidirectional_route& r);

class request_cache {
public:
  using clock = std::chrono::steady_clock;

  request_cache(size_t capacity, clock::duration ttl) : capacity_(capacity), ttl_(ttl) {}

  enum class state : uint8_t {
    started,     ///< new: the caller sets it up (id = the new request's id)
    in_progress, ///< the same request is being set up (id = that request's id)
    finished,    ///< answered before: `answer` holds the outcome
    full,        ///< no room
  };

  struct claim {
    state st = state::full;
    uint64_t id = 0;
    const outcome* answer = nullptr;
  };

  /// Looks the key up; starts a request with `new_id` when unknown.
  claim begin(const request_key& key, uint64_t new_id, clock::time_point now);

  /// Records the outcome of request `id` (kept until now + ttl).
  void finish(uint64_t id, outcome out, clock::time_point now);

  /// Forgets request `id` (a failed one, or one whose answer the caller
  /// has: a repeat starts anew).
  void abandon(uint64_t id);

  /// Drops finished entries whose time is up.
  void expire(clock::time_point now);

  size_t size() const noexcept { return entries_.size(); }

private:
  struct entry {
    uint64_t id = 0;
    bool done = false;
    outcome out;
    clock::time_point expires{};
  };
  bool make_room(clock::time_point now);

  size_t capacity_;
  clock::duration ttl_;
  std::map<request_key, entry> entries_;
  std::map<uint64_t, request_key> by_id_;
  std::deque<std::pair<clock::time_point, uint64_t>> finished_order_;
};

} // namespace skywire::services::setup_node
