// secp256k1 identities as Skywire uses them (libsecp256k1 underneath):
// 33-byte compressed public keys, 65-byte recoverable signatures over SHA-256,
// verification by public-key recovery, ECDH = SHA-256(compressed shared point).
#pragma once

#include <array>
#include <span>
#include <string_view>
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
  frame_too_large,   ///< a frame's length prefix exceeds the bound
  frame_truncated,   ///< a frame or handshake message is shorter than its minimum
};

const char* to_string(crypto_errc x) noexcept;

/// The category atom of crypto errors ("crypto").
caf::atom_value crypto_category() noexcept;

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

/// Whether sk is a valid secp256k1 scalar (0 < sk < n).
bool is_valid(const secret_key& sk) noexcept;

/// Text form of a public key as the reference parses it: any all-'0' text
/// (also empty) is the null key; anything else must be 66 hex digits of a
/// point on the curve ("Invalid public key" otherwise).
expected<public_key> parse_public_key(std::string_view text);

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

/// Same as ecdh() without allocation or error object (hot path of the Noise
/// DH); false if pk or sk is invalid.
bool ecdh_into(const public_key& pk, const secret_key& sk, std::span<uint8_t, 32> out) noexcept;

} // namespace skywire::crypto
