#pragma once
// runtime/crypto/poly1305: Poly1305 (RFC 8439 §2.5) in radix 2^26, one block
// at a time in scalar code and, where AVX-512F is built and the CPU has it,
// eight blocks per step (docs/protocol/noise.md). What chachapoly.cpp seals and
// opens with; nothing else uses it (libsodium's serves the rest).

#include <cstddef>
#include <cstdint>

namespace skywire::crypto::chachapoly::detail {

/// A number mod 2^130 - 5 as five limbs of 26 bits, each in a 64-bit word
/// (partly reduced: a limb may exceed 26 bits by a little).
struct limbs {
  uint64_t v[5];
};

/// One message's MAC. The vector members (blocks8, aead_rest) exist where
/// SKYWIRE_HAVE_AVX512_CHACHA is defined (runtime/crypto/avx512.hpp) and
/// may run only on a CPU with AVX-512F.
class poly1305 {
public:
  explicit poly1305(const uint8_t* key) noexcept;
  poly1305(const poly1305&) = delete;
  poly1305& operator=(const poly1305&) = delete;
  ~poly1305();

  void update(const uint8_t* p, size_t n) noexcept;
  void final(uint8_t* tag) noexcept;

  /// An AEAD's ciphertext, its padding and the lengths block, all eight
  /// lanes wide (after the associated data and its padding went through
  /// update(), which leaves nothing pending). Ends with nothing pending:
  /// final() gives the tag.
  void aead_rest(const uint8_t* ct, size_t ct_len, size_t ad_len) noexcept;

private:
  void block(const uint8_t* p, uint64_t top) noexcept;
  size_t blocks8(const uint8_t* p, size_t n) noexcept;

  limbs r_;
  limbs h_{};
  uint64_t s_lo_;
  uint64_t s_hi_;
  uint8_t buf_[16] = {};
  size_t pending_ = 0;
};

} // namespace skywire::crypto::chachapoly::detail
