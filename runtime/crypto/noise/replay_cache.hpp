// First handshake messages seen recently, to refuse replays before any DH.
//
// A Noise responder (the dmsg server for XK) pays a DH to read message 1 and
// a key generation and another DH to answer it. The initiator's ephemeral
// key in message 1 is fresh for every honest handshake, so a message 1 whose
// ephemeral key was seen before is a replay: refused at the cost of one
// keyed hash, instead of ~110 us of curve arithmetic per connection (a flood
// of captured messages 1 is otherwise the cheapest way to burn a server's
// CPU: the attacker pays nothing per message).
//
// Bounded: `capacity` keys, first in first out, each for at most `window`.
// Keys are stored as 64-bit keyed hashes (SipHash-2-4 with a random key of
// this instance): an attacker cannot aim collisions at honest keys. A false
// positive needs two of at most 2^16 random 64-bit values to collide.
// Thread-safe (one mutex, held for a hash-set lookup).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <unordered_set>

namespace skywire::crypto::noise {

class replay_cache {
public:
  using clock = std::chrono::steady_clock;
  static constexpr size_t default_capacity = 65536;
  static constexpr std::chrono::minutes default_window{10};

  explicit replay_cache(size_t capacity = default_capacity,
                        std::chrono::nanoseconds window = default_window);

  /// True if `key` was recorded within the window (a replay, counted).
  bool seen(std::span<const uint8_t> key, clock::time_point now = clock::now());
  /// Records `key` (once its message proved valid: garbage does not push
  /// honest keys out).
  void insert(std::span<const uint8_t> key, clock::time_point now = clock::now());

  size_t size() const;
  uint64_t replays() const;

  /// The process-wide instance (the dmsg server's handshakes).
  static replay_cache& process();

private:
  uint64_t hash(std::span<const uint8_t> key) const;
  void expire_locked(clock::time_point now);

  const size_t capacity_;
  const std::chrono::nanoseconds window_;
  std::array<uint8_t, 16> hash_key_{};
  mutable std::mutex mtx_;
  std::unordered_set<uint64_t> set_;
  struct entry {
    uint64_t h;
    clock::time_point at;
  };
  std::deque<entry> order_;
  uint64_t replays_ = 0;
};

} // namespace skywire::crypto::noise
