// Pre-generated ephemeral key pairs for Noise handshakes. A secp256k1 key
// generation (~22 us) sits on the critical path of every handshake that
// writes an `e` token (KK and XK, both sides); the pool moves it to idle
// points: handshakes take() a pair (generating inline, as before, when the
// pool is empty) and the code that just sent a handshake message calls
// refill() while the peer's answer is a round trip away.
//  * bounded (default 8 pairs per process), each pair handed out once;
//  * the pairs are those generate_keypair() makes: nothing on the wire
//    changes;
//  * secrets are wiped when taken out, on clear() and on destruction; the
//    process-wide instance is cleared at exit;
//  * pairs made in another process (a fork without exec) are never handed
//    out.
// Thread-safe (one mutex; key generation runs outside of it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include <sys/types.h>

#include "runtime/crypto/keys.hpp"

namespace skywire::crypto::noise {

class ephemeral_pool {
public:
  static constexpr size_t default_capacity = 8;
  /// What one idle point adds: a handshake takes at most one pair per side,
  /// so two per call keep up; never more than ~45 us of work per call.
  static constexpr size_t idle_refill = 2;

  struct counters {
    uint64_t pooled = 0;           ///< take() served from the pool
    uint64_t generated_inline = 0; ///< take() generated a pair itself (pool empty)
    uint64_t refilled = 0;         ///< pairs refill() added
  };

  explicit ephemeral_pool(size_t capacity = default_capacity);
  ephemeral_pool(const ephemeral_pool&) = delete;
  ephemeral_pool& operator=(const ephemeral_pool&) = delete;
  ~ephemeral_pool() = default; ///< secret_key wipes itself

  /// A fresh pair: a pooled one, or one generated now.
  keypair take();
  /// Generates pairs until the pool is full or max_new were made; returns
  /// how many were added. Call it where a thread would otherwise wait.
  size_t refill(size_t max_new = SIZE_MAX);
  /// Drops (and wipes) every pooled pair.
  void clear();

  size_t size() const;
  size_t capacity() const noexcept { return capacity_; }
  counters stats() const;

  /// The process-wide instance secp256k1_dh uses (cleared at exit).
  static ephemeral_pool& process();

private:
  void forget_foreign_locked();

  const size_t capacity_;
  mutable std::mutex mtx_;
  std::vector<keypair> keys_; ///< never grows past capacity_
  size_t pending_ = 0;        ///< pairs refill() is generating right now
  pid_t owner_;               ///< the process the pooled pairs were made in
  counters stats_;
};

} // namespace skywire::crypto::noise
