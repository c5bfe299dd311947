// Policies the generic Noise machine (state.hpp) is instantiated with:
// hash functions, the AEAD cipher and Diffie-Hellman functions, each a small
// struct with static members. Standard suite pieces: x25519_dh,
// blake2b_hash; Skywire's: secp256k1_dh (33-byte output = ECDH || 0x00),
// sha256_hash; both use chachapoly_cipher (IETF ChaCha20-Poly1305).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <sodium.h>

#include "messages/ids.hpp"
#include "runtime/crypto/chachapoly.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::crypto::noise {

// -- hashes -------------------------------------------------------------------

struct sha256_hash {
  static constexpr std::string_view name = "SHA256";
  static constexpr size_t hash_len = 32;
  static constexpr size_t block_len = 64;

  class state {
  public:
    state() noexcept { crypto_hash_sha256_init(&st_); }
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    ~state() { sodium_memzero(&st_, sizeof(st_)); }
    void update(const uint8_t* p, size_t n) noexcept { crypto_hash_sha256_update(&st_, p, n); }
    void final(uint8_t* out) noexcept { crypto_hash_sha256_final(&st_, out); }

  private:
    crypto_hash_sha256_state st_;
  };
};

struct blake2b_hash {
  static constexpr std::string_view name = "BLAKE2b";
  static constexpr size_t hash_len = 64;
  static constexpr size_t block_len = 128;

  class state {
  public:
    state() noexcept { crypto_generichash_init(&st_, nullptr, 0, hash_len); }
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    ~state() { sodium_memzero(&st_, sizeof(st_)); }
    void update(const uint8_t* p, size_t n) noexcept { crypto_generichash_update(&st_, p, n); }
    void final(uint8_t* out) noexcept { crypto_generichash_final(&st_, out, hash_len); }

  private:
    crypto_generichash_state st_;
  };
};

// -- cipher -------------------------------------------------------------------

/// ChaCha20-Poly1305 IETF (runtime/crypto/chachapoly.hpp); Noise nonce =
/// 4 zero bytes || 64-bit LE counter.
struct chachapoly_cipher {
  static constexpr std::string_view name = "ChaChaPoly";
  static constexpr size_t key_len = 32;
  static constexpr size_t tag_len = 16;

  static void make_nonce(uint64_t n, uint8_t* out12) noexcept {
    for (int i = 0; i < 4; ++i)
      out12[i] = 0;
    for (int i = 0; i < 8; ++i)
      out12[4 + i] = static_cast<uint8_t>(n >> (8 * i));
  }

  /// Writes len + tag_len bytes to out (out == in allowed).
  static void encrypt(const uint8_t* key, uint64_t n, byte_span ad, const uint8_t* in,
                      size_t len, uint8_t* out) noexcept {
    uint8_t nonce[12];
    make_nonce(n, nonce);
    chachapoly::seal(out, in, len, ad.data(), ad.size(), nonce, key);
  }

  /// Decrypts len bytes (ciphertext || tag) into out (len - tag_len bytes;
  /// out == in allowed). False if len < tag_len or the tag does not match.
  [[nodiscard]] static bool decrypt(const uint8_t* key, uint64_t n, byte_span ad,
                                    const uint8_t* in, size_t len, uint8_t* out) noexcept {
    if (len < tag_len)
      return false;
    uint8_t nonce[12];
    make_nonce(n, nonce);
    return chachapoly::open(out, in, len, ad.data(), ad.size(), nonce, key);
  }
};

// -- Diffie-Hellman -------------------------------------------------------------

/// Curve25519 (libsodium crypto_scalarmult); used for the standard vectors.
struct x25519_dh {
  static constexpr std::string_view name = "25519";
  static constexpr size_t dh_len = 32;
  static constexpr size_t pub_len = 32;
  using public_key = std::array<uint8_t, 32>;

  struct keypair {
    std::array<uint8_t, 32> sk{};
    public_key pk{};
    keypair() = default;
    keypair(const keypair&) = default;
    keypair& operator=(const keypair&) = default;
    ~keypair() { sodium_memzero(sk.data(), sk.size()); }
  };

  static keypair generate();
  /// Keypair of a given secret (vector tests).
  static keypair from_secret(const std::array<uint8_t, 32>& sk);
  [[nodiscard]] static bool dh(const keypair& local, const public_key& remote,
                               uint8_t* out) noexcept;
};

/// Skywire's "Secp256k1" DH: 33-byte compressed keys, output
/// SHA-256(compressed shared point) || 0x00 (DHLen 33).
/// Two optional hooks of the handshake state (a DH policy without them, as
/// x25519_dh, computes everything each time):
///  * take_ephemeral(): the local ephemeral of an `e` token, from the
///    process's ephemeral_pool (generated inline when it is empty);
///  * static_dh(): the `ss` token (both keys static), through the process's
///    static_dh_cache; same bytes as dh().
struct secp256k1_dh {
  static constexpr std::string_view name = "Secp256k1";
  static constexpr size_t dh_len = 33;
  static constexpr size_t pub_len = 33;
  using public_key = ::skywire::public_key;
  using keypair = ::skywire::crypto::keypair;

  static keypair generate();
  static keypair take_ephemeral();
  [[nodiscard]] static bool dh(const keypair& local, const public_key& remote,
                               uint8_t* out) noexcept;
  [[nodiscard]] static bool static_dh(const keypair& local, const public_key& remote,
                                      uint8_t* out) noexcept;
};

} // namespace skywire::crypto::noise
