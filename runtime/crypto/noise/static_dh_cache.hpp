// Outputs of the static-static DH (the `ss` token of Noise KK/IK), cached.
// DH(s_local, rs_remote) depends only on the two static keys, so every
// handshake between the same two parties computes the same 33 bytes again
// (one secp256k1 ECDH, ~44 us, on each side of every dmsg stream open). The
// cache keeps the last outputs, bounded, with clock (second-chance)
// eviction:
//  * key: the local public key, the remote public key and a keyed BLAKE2b
//    tag of the local secret (a key pair whose public key does not belong to
//    its secret never gets another pair's entry);
//  * value: the exact bytes secp256k1_dh::dh writes; a hit is
//    indistinguishable from computing the DH again;
//  * secrets: values are wiped with sodium_memzero on eviction, on clear()
//    and on destruction; the process-wide instance is cleared at exit. A
//    value is no more sensitive than the static secret the process holds
//    anyway; a tag (keyed by random bytes of this instance) reveals nothing
//    of the secret.
// Thread-safe (one mutex; the DH itself runs outside of it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "messages/ids.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::crypto::noise {

class static_dh_cache {
public:
  static constexpr size_t default_capacity = 1024;
  static constexpr size_t value_len = 33; ///< secp256k1_dh::dh_len

  struct counters {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t evictions = 0;
  };

  explicit static_dh_cache(size_t capacity = default_capacity);
  static_dh_cache(const static_dh_cache&) = delete;
  static_dh_cache& operator=(const static_dh_cache&) = delete;
  ~static_dh_cache();

  /// Copies the cached DH(local, remote) to out (value_len bytes); false on a miss.
  bool find(const keypair& local, const public_key& remote, uint8_t* out);
  /// Stores value_len bytes of DH(local, remote), evicting one entry when full.
  void insert(const keypair& local, const public_key& remote, const uint8_t* value);
  /// Drops (and wipes) every entry; the counters stay.
  void clear();

  size_t size() const;
  size_t capacity() const noexcept { return slots_.size(); }
  counters stats() const;

  /// The process-wide instance secp256k1_dh uses (cleared at exit).
  static static_dh_cache& process();

private:
  struct key {
    public_key local;
    public_key remote;
    std::array<uint8_t, 16> secret_tag{};
    friend bool operator==(const key&, const key&) = default;
  };
  struct key_hash {
    std::array<uint8_t, 16> seed{}; ///< SipHash key: remote keys cannot force collisions
    size_t operator()(const key& k) const noexcept;
  };
  struct slot {
    key k;
    std::array<uint8_t, value_len> value{};
    bool used = false;
    bool referenced = false;
  };

  key make_key(const keypair& local, const public_key& remote) const noexcept;
  static void wipe(slot& s) noexcept;

  std::array<uint8_t, 32> tag_key_{}; ///< BLAKE2b key of the secret tags
  mutable std::mutex mtx_;
  std::vector<slot> slots_;
  std::unordered_map<key, uint32_t, key_hash> index_;
  size_t used_ = 0;
  size_t hand_ = 0;
  counters stats_;
};

} // namespace skywire::crypto::noise
