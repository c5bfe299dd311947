#include "runtime/crypto/keys.hpp"

#include <cstring>
#include <mutex>

#include <caf/make_message.hpp>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>

#include "runtime/crypto/hash.hpp"

namespace skywire::crypto {

namespace {

/// One process-wide context, randomised once (side-channel blinding).
/// libsecp256k1 contexts are safe for concurrent use once created.
const secp256k1_context* ctx() {
  static secp256k1_context* c = [] {
    auto* res = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    std::array<uint8_t, 32> seed{};
    random_bytes(seed);
    if (!secp256k1_context_randomize(res, seed.data())) {
      // Randomisation is a hardening measure only; a context without it
      // is still correct.
    }
    secure_wipe(seed.data(), seed.size());
    return res;
  }();
  return c;
}

bool valid_scalar(const uint8_t* sk) noexcept {
  return secp256k1_ec_seckey_verify(ctx(), sk) == 1;
}

/// Decompressing a point costs a field square root (several µs); a Noise
/// handshake uses each remote key two or three times. A small per-thread
/// cache of recently parsed (public, valid) keys avoids the repeats.
struct parsed_pk_cache {
  static constexpr size_t slots = 8;
  std::array<public_key, slots> keys{};
  std::array<secp256k1_pubkey, slots> parsed{};
  std::array<bool, slots> used{};
  size_t next = 0;
};

bool parse_pk(const public_key& pk, secp256k1_pubkey& out) noexcept {
  if (pk.bytes[0] != 0x02 && pk.bytes[0] != 0x03)
    return false;
  thread_local parsed_pk_cache cache;
  for (size_t i = 0; i < parsed_pk_cache::slots; ++i)
    if (cache.used[i] && cache.keys[i] == pk) {
      out = cache.parsed[i];
      return true;
    }
  if (secp256k1_ec_pubkey_parse(ctx(), &out, pk.data(), pk.size) != 1)
    return false;
  size_t slot = cache.next++ % parsed_pk_cache::slots;
  cache.keys[slot] = pk;
  cache.parsed[slot] = out;
  cache.used[slot] = true;
  return true;
}

public_key serialize_pk(const secp256k1_pubkey& p) noexcept {
  public_key out;
  size_t len = out.size;
  (void) secp256k1_ec_pubkey_serialize(ctx(), out.data(), &len, &p, SECP256K1_EC_COMPRESSED);
  return out;
}

/// Compressed pubkey of a valid scalar (caller checked validity).
public_key pk_of(const uint8_t* sk) noexcept {
  secp256k1_pubkey p;
  if (!secp256k1_ec_pubkey_create(ctx(), &p, sk))
    return {};
  return serialize_pk(p);
}

/// The 33-byte compressed point sk·pk (Skycoin's secp256k1.ECDH).
int copy_point(unsigned char* out, const unsigned char* x32, const unsigned char* y32,
               void*) {
  out[0] = static_cast<unsigned char>(0x02 | (y32[31] & 1));
  std::memcpy(out + 1, x32, 32);
  return 1;
}

bool raw_ecdh(const public_key& pk, const uint8_t* sk, std::array<uint8_t, 33>& out) {
  secp256k1_pubkey p;
  if (!parse_pk(pk, p))
    return false;
  return secp256k1_ecdh(ctx(), out.data(), &p, sk, copy_point, nullptr) == 1;
}

/// Skycoin's generateDeterministicKeyPair: sk = SHA256(seed), re-hashed
/// while it is not a valid scalar. Returns the final secret bytes.
std::array<uint8_t, 32> det_secret(byte_span seed) {
  auto h = sha256(seed);
  while (!valid_scalar(h.data()))
    h = sha256(h.span());
  return h.bytes;
}

/// Skycoin's Secp256k1Hash(seed):
///   h   = SHA256(seed)
///   sk1 = det_secret(h); pk2 = pubkey(det_secret(SHA256(h)))
///   out = SHA256(h || compressed(sk1·pk2))
sha256_digest secp256k1_hash(byte_span seed) {
  auto h = sha256(seed);
  auto sk1 = det_secret(h.span());
  auto hh = sha256(h.span());
  auto sk2 = det_secret(hh.span());
  auto pk2 = pk_of(sk2.data());
  std::array<uint8_t, 33> point{};
  (void) raw_ecdh(pk2, sk1.data(), point);
  auto out = sha256({h.span(), byte_span{point}});
  secure_wipe(sk1.data(), sk1.size());
  secure_wipe(sk2.data(), sk2.size());
  return out;
}

/// Nonce function handing out a caller-chosen k on the first attempt only.
int fixed_nonce(unsigned char* nonce32, const unsigned char*, const unsigned char*,
                const unsigned char*, void* data, unsigned int attempt) {
  if (attempt != 0)
    return 0;
  std::memcpy(nonce32, data, 32);
  return 1;
}

signature serialize_sig(const secp256k1_ecdsa_recoverable_signature& rs) {
  signature out;
  int recid = 0;
  (void) secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), out.data(), &recid, &rs);
  out.bytes[64] = static_cast<uint8_t>(recid);
  return out;
}

bool is_zero(const sha256_digest& d) noexcept {
  uint8_t acc = 0;
  for (auto b : d.bytes)
    acc |= b;
  return acc == 0;
}

} // namespace

const char* to_string(crypto_errc x) noexcept {
  switch (x) {
    case crypto_errc::invalid_secret_key: return "invalid_secret_key";
    case crypto_errc::invalid_public_key: return "invalid_public_key";
    case crypto_errc::invalid_signature: return "invalid_signature";
    case crypto_errc::wrong_signer: return "wrong_signer";
    case crypto_errc::zero_digest: return "zero_digest";
    case crypto_errc::decrypt_failed: return "decrypt_failed";
    case crypto_errc::handshake_failed: return "handshake_failed";
    case crypto_errc::nonce_reuse: return "nonce_reuse";
    case crypto_errc::frame_too_large: return "frame_too_large";
    case crypto_errc::frame_truncated: return "frame_truncated";
  }
  return "unknown";
}

caf::atom_value crypto_category() noexcept {
  return caf::atom("crypto");
}

namespace {

const char* crypto_code_name(uint8_t code) noexcept {
  return to_string(static_cast<crypto_errc>(code));
}

} // namespace

caf::error make_error(crypto_errc code, std::string context) {
  static const bool registered = [] {
    register_error_category(crypto_category(), crypto_code_name);
    return true;
  }();
  (void) registered;
  return caf::error{static_cast<uint8_t>(code), crypto_category(),
                    caf::make_message(std::move(context))};
}

keypair generate_keypair() {
  keypair out;
  do {
    random_bytes({out.sk.data(), 32});
  } while (!valid_scalar(out.sk.data()));
  out.pk = pk_of(out.sk.data());
  return out;
}

keypair deterministic_keypair(byte_span seed) {
  auto seed1 = secp256k1_hash(seed);
  auto seed2 = sha256({seed, seed1.span()});
  keypair out;
  out.sk = secret_key{det_secret(seed2.span())};
  out.pk = pk_of(out.sk.data());
  return out;
}

expected<public_key> derive_public_key(const secret_key& sk) {
  if (!valid_scalar(sk.data()))
    return make_error(crypto_errc::invalid_secret_key, "secret key is not a valid scalar");
  return pk_of(sk.data());
}

bool is_valid(const public_key& pk) noexcept {
  secp256k1_pubkey p;
  return parse_pk(pk, p);
}

bool is_valid(const secret_key& sk) noexcept {
  return valid_scalar(sk.data());
}

expected<public_key> parse_public_key(std::string_view text) {
  auto pk = public_key::from_hex(text);
  if (!pk)
    return pk.error();
  if (!pk->is_null() && !is_valid(*pk))
    return make_error(crypto_errc::invalid_public_key, "Invalid public key");
  return pk;
}

signature sign(byte_span data, const secret_key& sk) {
  return sign_digest(sha256(data), sk);
}

signature sign_digest(const sha256_digest& digest, const secret_key& sk) {
  if (is_zero(digest) || !valid_scalar(sk.data()))
    return {};
  secp256k1_ecdsa_recoverable_signature rs;
  // A fresh random k each time, as the reference (not RFC 6979).
  std::array<uint8_t, 32> k{};
  for (int attempt = 0; attempt < 16; ++attempt) {
    random_bytes(k);
    if (secp256k1_ecdsa_sign_recoverable(ctx(), &rs, digest.data(), sk.data(), fixed_nonce,
                                         k.data())) {
      secure_wipe(k.data(), k.size());
      return serialize_sig(rs);
    }
  }
  secure_wipe(k.data(), k.size());
  return {};
}

expected<signature> sign_digest_with_nonce(const sha256_digest& digest, const secret_key& sk,
                                           const std::array<uint8_t, 32>& k) {
  if (is_zero(digest))
    return make_error(crypto_errc::zero_digest, "refusing to sign a zero digest");
  if (!valid_scalar(sk.data()))
    return make_error(crypto_errc::invalid_secret_key, "secret key is not a valid scalar");
  secp256k1_ecdsa_recoverable_signature rs;
  auto kc = k;
  int ok = secp256k1_ecdsa_sign_recoverable(ctx(), &rs, digest.data(), sk.data(), fixed_nonce,
                                            kc.data());
  secure_wipe(kc.data(), kc.size());
  if (!ok)
    return make_error(crypto_errc::invalid_secret_key, "nonce k is not a valid scalar");
  return serialize_sig(rs);
}

expected<public_key> recover(const sha256_digest& digest, const signature& sig) {
  int recid = sig.bytes[64];
  if (recid > 3)
    return make_error(crypto_errc::invalid_signature, "recovery id >= 4");
  secp256k1_ecdsa_recoverable_signature rs;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &rs, sig.data(), recid))
    return make_error(crypto_errc::invalid_signature, "malformed signature");
  secp256k1_pubkey p;
  if (!secp256k1_ecdsa_recover(ctx(), &p, &rs, digest.data()))
    return make_error(crypto_errc::invalid_signature, "failed to recover pubkey from signature");
  return serialize_pk(p);
}

caf::error verify(byte_span data, const public_key& pk, const signature& sig) {
  return verify_digest(sha256(data), pk, sig);
}

caf::error verify_digest(const sha256_digest& digest, const public_key& pk,
                         const signature& sig) {
  if (sig.bytes[64] > 3)
    return make_error(crypto_errc::invalid_signature, "recovery id >= 4");
  // Skycoin's validity rule: the top bit of s must be clear.
  if (sig.bytes[32] >= 0x80)
    return make_error(crypto_errc::invalid_signature, "high S");
  auto rec = recover(digest, sig);
  if (!rec)
    return rec.error();
  if (*rec != pk)
    return make_error(crypto_errc::wrong_signer, "recovered pubkey does not match pubkey");
  // (An invalid pk never equals a recovered key: wrong_signer, as before.)
  // The reference (cipher.VerifyPubKeySignedHash) runs a full ECDSA verify
  // after the recovery as well; it cannot fail here: recovery returns
  // Q = r^-1 (sR - eG) for the R with x(R) = r (recover rejects r or s of 0
  // or >= n), and verify computes s^-1 (eG + rQ) = R and checks x(R) = r, for
  // s and for its normalised n - s alike. Skipping it saves one ECDSA verify
  // per signed object (two per stream open in each party).
  return {};
}

expected<std::array<uint8_t, 32>> ecdh(const public_key& pk, const secret_key& sk) {
  if (!valid_scalar(sk.data()))
    return make_error(crypto_errc::invalid_secret_key, "secret key is not a valid scalar");
  std::array<uint8_t, 32> out{};
  if (!ecdh_into(pk, sk, out))
    return make_error(crypto_errc::invalid_public_key, "invalid public key");
  return out;
}

bool ecdh_into(const public_key& pk, const secret_key& sk, std::span<uint8_t, 32> out) noexcept {
  secp256k1_pubkey p;
  if (!parse_pk(pk, p))
    return false;
  // libsecp256k1's default hash is SHA-256(0x02|parity || x): exactly
  // SHA-256 of the compressed point, i.e. Skycoin's cipher.ECDH.
  return secp256k1_ecdh(ctx(), out.data(), &p, sk.data(), nullptr, nullptr) == 1;
}

} // namespace skywire::crypto
