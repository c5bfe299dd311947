// secp256k1 identities as Skywire uses them (libsecp256k1 underneath):
// 33-byte compressed public keys, 65-byte recoverable signatures over SHA-256,
// verification by public-key recovery, ECDH = SHA-256(compressed shared point).
#pragma once

#include <array>
#include <utility>

#include "messages/ids.hpp"

namespace skywire::crypto {

/// Errors of this module (category atom "crypto").
enum class crypto_errc : uint8_t {
  invalid_secret_key = 1,
  invalid_public_key,
  invalid_signature, ///< malformed, high-S, recid >= 4, or does not verify
  wrong_signer,      ///< recovered public key differs from the expected one
  zero_digest,
  decrypt_failed,    ///< AEAD tag mismatch
  handshake_failed,
  nonce_reuse,       ///< a transport frame counter did not increase
};

caf::error make_error(crypto_errc code, std::string context = {});

struct keypair {
  public_key pk;
  secret_key sk;
};

/// Random key pair (draws 32 random bytes until they form a valid scalar).
keypair generate_keypair();

/// Skycoin's deterministic keygen (cipher.GenerateDeterministicKeyPair);
/// used by tests and vector checks.
keypair deterministic_keypair(byte_span seed);

/// Derives the compressed public key; errors if sk is not a valid scalar.
expected<public_key> derive_public_key(const secret_key& sk);

/// Whether pk is a valid point on the curve (the null key is not).
bool is_valid(const public_key& pk) noexcept;

/// SHA-256(data) signed with sk: r || s || recid, low-S.
signature sign(byte_span data, const secret_key& sk);
signature sign_digest(const sha256_digest& digest, const secret_key& sk);

/// Signs with an explicit nonce k (vector tests only: reproduces the
/// reference's fixed-nonce signatures).
expected<signature> sign_digest_with_nonce(const sha256_digest& digest, const secret_key& sk,
                                           const std::array<uint8_t, 32>& k);

/// Recovers the signer of a digest.
expected<public_key> recover(const sha256_digest& digest, const signature& sig);

/// Skycoin's rules: the recovered key equals pk, s is low, recid < 4, ECDSA verifies.
caf::error verify(byte_span data, const public_key& pk, const signature& sig);
caf::error verify_digest(const sha256_digest& digest, const public_key& pk, const signature& sig);

/// SHA-256 of the compressed point sk·pk (32 bytes).
expected<std::array<uint8_t, 32>> ecdh(const public_key& pk, const secret_key& sk);

} // namespace skywire::crypto
