#include "runtime/crypto/noise/primitives.hpp"

#include <span>

#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/noise/ephemeral_pool.hpp"
#include "runtime/crypto/noise/static_dh_cache.hpp"

namespace skywire::crypto::noise {

x25519_dh::keypair x25519_dh::generate() {
  std::array<uint8_t, 32> sk{};
  random_bytes(sk);
  auto kp = from_secret(sk);
  sodium_memzero(sk.data(), sk.size());
  return kp;
}

x25519_dh::keypair x25519_dh::from_secret(const std::array<uint8_t, 32>& sk) {
  ensure_sodium();
  keypair kp;
  kp.sk = sk;
  crypto_scalarmult_base(kp.pk.data(), kp.sk.data());
  return kp;
}

bool x25519_dh::dh(const keypair& local, const public_key& remote, uint8_t* out) noexcept {
  // libsodium refuses (returns -1) when the result is the all-zero point.
  return crypto_scalarmult(out, local.sk.data(), remote.data()) == 0;
}

secp256k1_dh::keypair secp256k1_dh::generate() {
  return generate_keypair();
}

secp256k1_dh::keypair secp256k1_dh::take_ephemeral() {
  return ephemeral_pool::process().take();
}

bool secp256k1_dh::dh(const keypair& local, const public_key& remote, uint8_t* out) noexcept {
  if (!ecdh_into(remote, local.sk, std::span<uint8_t, 32>{out, 32}))
    return false;
  out[32] = 0;
  return true;
}

bool secp256k1_dh::static_dh(const keypair& local, const public_key& remote,
                             uint8_t* out) noexcept {
  static_assert(static_dh_cache::value_len == dh_len);
  try {
    auto& cache = static_dh_cache::process();
    if (cache.find(local, remote, out))
      return true;
    if (!dh(local, remote, out))
      return false;
    cache.insert(local, remote, out);
    return true;
  } catch (...) {
    // (Only an allocation of the cache's index can throw: compute uncached.)
    return dh(local, remote, out);
  }
}

} // namespace skywire::crypto::noise
