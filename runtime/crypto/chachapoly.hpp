// IETF ChaCha20-Poly1305 (RFC 8439), the AEAD of every Noise session, with
// two implementations behind one interface:
//  * libsodium's (portable; libsodium picks its own SIMD variant);
//  * ours for AVX-512F: the ChaCha20 keystream sixteen blocks (1 KiB) per
//    pass, one block per 32-bit lane; Poly1305 eight blocks per step, one
//    per 64-bit lane in radix 2^26 (for 1 KiB of ciphertext and more;
//    libsodium's below). Together about twice libsodium's rate on the CPUs
//    that have AVX-512; messages of at most 192 bytes from one four-block
//    pass in row layout (about 2.5 times faster than libsodium's).
// The bytes are the same either way (tests/runtime/crypto/chachapoly_test.cpp
// and the differential fuzz target compare them). The process picks the
// fastest implementation the CPU and the OS support at start-up;
// SKYWIRE_CHACHA=libsodium in the environment forces the portable one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skywire::crypto::chachapoly {

inline constexpr size_t key_len = 32;
inline constexpr size_t nonce_len = 12;
inline constexpr size_t tag_len = 16;

enum class impl : uint8_t { libsodium, avx512 };

/// Whether this CPU and OS can run `i`.
[[nodiscard]] bool available(impl i) noexcept;

/// The implementation seal/open use for messages of at least
/// `vector_threshold` bytes and of at most `small_max` (ours then makes the
/// Poly1305 key and 192 bytes of keystream in one four-block pass); the ones
/// between always go through libsodium, whose code for them is as fast.
[[nodiscard]] impl active() noexcept;
inline constexpr size_t vector_threshold = 512;
inline constexpr size_t small_max = 192;

/// out = in XOR the ChaCha20 keystream from block `ic` (out == in allowed).
/// `i` must be available.
void stream_xor(impl i, uint8_t* out, const uint8_t* in, size_t len, const uint8_t* nonce,
                uint32_t ic, const uint8_t* key) noexcept;

/// Poly1305 of len bytes with a one-time key (32 bytes) into tag (16 bytes).
void poly1305_mac(impl i, uint8_t* tag, const uint8_t* in, size_t len, const uint8_t* key) noexcept;

/// Encrypts len bytes and appends the tag: writes len + tag_len bytes to out
/// (out == in allowed).
void seal(impl i, uint8_t* out, const uint8_t* in, size_t len, const uint8_t* ad, size_t ad_len,
          const uint8_t* nonce, const uint8_t* key) noexcept;
void seal(uint8_t* out, const uint8_t* in, size_t len, const uint8_t* ad, size_t ad_len,
          const uint8_t* nonce, const uint8_t* key) noexcept;

/// Checks the tag of `in` (len bytes: ciphertext || tag) and decrypts into
/// out (len - tag_len bytes; out == in allowed). False if len < tag_len or
/// the tag does not match; out then holds nothing of the plaintext.
[[nodiscard]] bool open(impl i, uint8_t* out, const uint8_t* in, size_t len, const uint8_t* ad,
                        size_t ad_len, const uint8_t* nonce, const uint8_t* key) noexcept;
[[nodiscard]] bool open(uint8_t* out, const uint8_t* in, size_t len, const uint8_t* ad,
                        size_t ad_len, const uint8_t* nonce, const uint8_t* key) noexcept;

} // namespace skywire::crypto::chachapoly
