#include "runtime/crypto/hash.hpp"

#include <mutex>
#include <stdexcept>

#include <sodium.h>

namespace skywire::crypto {

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0)
      throw std::runtime_error("libsodium failed to initialise");
  });
}

sha256_digest sha256(byte_span data) {
  sha256_digest out;
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

sha256_digest sha256(std::initializer_list<byte_span> pieces) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  for (auto p : pieces)
    crypto_hash_sha256_update(&st, p.data(), p.size());
  sha256_digest out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

std::array<uint8_t, 32> hmac_sha256(byte_span key, byte_span data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, data.data(), data.size());
  std::array<uint8_t, 32> out{};
  crypto_auth_hmacsha256_final(&st, out.data());
  secure_wipe(&st, sizeof(st));
  return out;
}

void random_bytes(std::span<uint8_t> out) {
  ensure_sodium();
  randombytes_buf(out.data(), out.size());
}

} // namespace skywire::crypto
