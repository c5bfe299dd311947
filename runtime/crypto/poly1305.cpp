// runtime/crypto/poly1305: Poly1305 for the AEAD (poly1305.hpp).
//
// h = (h + block) * r mod 2^130 - 5 in radix 2^26 (five limbs in 64-bit
// words). The AVX-512 path runs eight lanes with stride eight blocks: lane j
// accumulates blocks j, j+8, ... multiplied by r^8 per step, then lane j is
// multiplied by r^(8-j) and the lanes are summed (RFC 8439 §2.5's polynomial,
// evaluated in another order). Shorter runs, the head and the tail go through
// the same arithmetic one block at a time.

#include "runtime/crypto/poly1305.hpp"

#include <cstring>

#include <sodium.h>

#include "runtime/crypto/avx512.hpp"

namespace skywire::crypto::chachapoly::detail {

namespace {

constexpr uint64_t mask26 = 0x3ffffff;

uint64_t load_le64(const uint8_t* p) noexcept {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

/// The 130-bit number lo + 2^64 hi + 2^128 top as limbs of 26 bits.
limbs to_limbs(uint64_t lo, uint64_t hi, uint64_t top) noexcept {
  return {{lo & mask26, (lo >> 26) & mask26, ((lo >> 52) | (hi << 12)) & mask26,
           (hi >> 14) & mask26, (hi >> 40) | (top << 24)}};
}

/// One carry pass over limbs of up to 64 bits: every limb ends below 2^26
/// but limb 1 (below 2^26 + 2^10: the carry out of limb 4 comes back into
/// limb 0 times 5, since 2^130 = 5 mod p).
inline __attribute__((always_inline)) limbs carried(limbs d) noexcept {
  for (int i = 0; i < 4; ++i) {
    d.v[i + 1] += d.v[i] >> 26;
    d.v[i] &= mask26;
  }
  const uint64_t c = d.v[4] >> 26;
  d.v[4] &= mask26;
  d.v[0] += c * 5;
  d.v[1] += d.v[0] >> 26;
  d.v[0] &= mask26;
  return d;
}

/// h * r mod p, partly reduced (every limb below 2^26 + 2^10). Limbs of h
/// below 2^27, of r below 2^26 + 2^10: every sum of products fits 64 bits.
inline __attribute__((always_inline)) limbs mul_mod(const limbs& h, const limbs& r) noexcept {
  const uint64_t s1 = r.v[1] * 5;
  const uint64_t s2 = r.v[2] * 5;
  const uint64_t s3 = r.v[3] * 5;
  const uint64_t s4 = r.v[4] * 5;
  uint64_t d0 = h.v[0] * r.v[0] + h.v[1] * s4 + h.v[2] * s3 + h.v[3] * s2 + h.v[4] * s1;
  uint64_t d1 = h.v[0] * r.v[1] + h.v[1] * r.v[0] + h.v[2] * s4 + h.v[3] * s3 + h.v[4] * s2;
  uint64_t d2 = h.v[0] * r.v[2] + h.v[1] * r.v[1] + h.v[2] * r.v[0] + h.v[3] * s4 + h.v[4] * s3;
  uint64_t d3 = h.v[0] * r.v[3] + h.v[1] * r.v[2] + h.v[2] * r.v[1] + h.v[3] * r.v[0] + h.v[4] * s4;
  uint64_t d4 = h.v[0] * r.v[4] + h.v[1] * r.v[3] + h.v[2] * r.v[2] + h.v[3] * r.v[1] + h.v[4] * r.v[0];
  return carried({{d0, d1, d2, d3, d4}});
}

} // namespace

poly1305::poly1305(const uint8_t* key) noexcept
  : r_(to_limbs(load_le64(key) & 0x0ffffffc0fffffffULL, load_le64(key + 8) & 0x0ffffffc0ffffffcULL,
                0)),
    s_lo_(load_le64(key + 16)),
    s_hi_(load_le64(key + 24)) {
}

poly1305::~poly1305() {
  sodium_memzero(this, sizeof(*this));
}

void poly1305::update(const uint8_t* p, size_t n) noexcept {
  if (pending_ > 0) {
    const size_t k = n < 16 - pending_ ? n : 16 - pending_;
    std::memcpy(buf_ + pending_, p, k);
    pending_ += k;
    p += k;
    n -= k;
    if (pending_ < 16)
      return;
    block(buf_, 1);
    pending_ = 0;
  }
#ifdef SKYWIRE_HAVE_AVX512_CHACHA
  if (n >= 256) {
    const size_t k = blocks8(p, n);
    p += k;
    n -= k;
  }
#endif
  for (; n >= 16; n -= 16, p += 16)
    block(p, 1);
  if (n > 0) {
    std::memcpy(buf_, p, n);
    pending_ = n;
  }
}

void poly1305::final(uint8_t* tag) noexcept {
  if (pending_ > 0) {
    buf_[pending_] = 1;
    std::memset(buf_ + pending_ + 1, 0, 15 - pending_);
    block(buf_, 0);
    pending_ = 0;
  }
  // h as three words, then folded below 2^130 (twice: the first fold can
  // carry into bit 130 again).
  __extension__ using u128 = unsigned __int128;
  u128 acc = u128{h_.v[0]} + (u128{h_.v[1]} << 26) + (u128{h_.v[2]} << 52);
  uint64_t w0 = static_cast<uint64_t>(acc);
  acc >>= 64;
  acc += (u128{h_.v[3]} << 14) + (u128{h_.v[4]} << 40);
  uint64_t w1 = static_cast<uint64_t>(acc);
  uint64_t w2 = static_cast<uint64_t>(acc >> 64);
  for (int k = 0; k < 2; ++k) {
    const uint64_t c = (w2 >> 2) * 5;
    w2 &= 3;
    u128 t = u128{w0} + c;
    w0 = static_cast<uint64_t>(t);
    t = u128{w1} + static_cast<uint64_t>(t >> 64);
    w1 = static_cast<uint64_t>(t);
    w2 += static_cast<uint64_t>(t >> 64);
  }
  // h >= p exactly when h + 5 reaches 2^130; then h mod p = h + 5 - 2^130.
  // Selected by mask, not by branch.
  u128 t = u128{w0} + 5;
  const uint64_t g0 = static_cast<uint64_t>(t);
  t = u128{w1} + static_cast<uint64_t>(t >> 64);
  const uint64_t g1 = static_cast<uint64_t>(t);
  const uint64_t g2 = w2 + static_cast<uint64_t>(t >> 64);
  const uint64_t use_g = 0 - (g2 >> 2);
  w0 = (w0 & ~use_g) | (g0 & use_g);
  w1 = (w1 & ~use_g) | (g1 & use_g);
  t = u128{w0} + s_lo_;
  w0 = static_cast<uint64_t>(t);
  w1 = w1 + s_hi_ + static_cast<uint64_t>(t >> 64);
  for (int i = 0; i < 8; ++i) {
    tag[i] = static_cast<uint8_t>(w0 >> (8 * i));
    tag[8 + i] = static_cast<uint8_t>(w1 >> (8 * i));
  }
}

void poly1305::block(const uint8_t* p, uint64_t top) noexcept {
  const limbs m = to_limbs(load_le64(p), load_le64(p + 8), top);
  for (int i = 0; i < 5; ++i)
    h_.v[i] += m.v[i];
  h_ = mul_mod(h_, r_);
}

#ifdef SKYWIRE_HAVE_AVX512_CHACHA

namespace {

struct vlimbs {
  __m512i v[5];
};

/// Eight blocks (128 bytes) as limbs, block j in lane j, with the 2^128 bit
/// (limb 4's bit 24) where `top` has it.
__attribute__((target("avx512f"), always_inline)) inline vlimbs load8(const uint8_t* p,
                                                                     __m512i top) noexcept {
  const __m512i m26 = _mm512_set1_epi64(static_cast<long long>(mask26));
  const __m512i a = _mm512_loadu_si512(p);
  const __m512i b = _mm512_loadu_si512(p + 64);
  const __m512i lo = _mm512_permutex2var_epi64(a, _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), b);
  const __m512i hi = _mm512_permutex2var_epi64(a, _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15), b);
  return {{_mm512_and_si512(lo, m26), _mm512_and_si512(_mm512_srli_epi64(lo, 26), m26),
           _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(lo, 52), _mm512_slli_epi64(hi, 12)),
                            m26),
           _mm512_and_si512(_mm512_srli_epi64(hi, 14), m26),
           _mm512_or_si512(_mm512_srli_epi64(hi, 40), top)}};
}

__attribute__((target("avx512f"), always_inline)) inline vlimbs load8(const uint8_t* p) noexcept {
  return load8(p, _mm512_set1_epi64(1 << 24));
}

__attribute__((target("avx512f"), always_inline)) inline __m512i mul(__m512i a, __m512i b) noexcept {
  return _mm512_mul_epu32(a, b);
}

__attribute__((target("avx512f"), always_inline)) inline __m512i add(__m512i a, __m512i b) noexcept {
  return _mm512_add_epi64(a, b);
}

/// mul_mod in every lane (products of the low 32 bits of each 64-bit lane);
/// s holds 5 * r. The carries run as two interleaved chains.
__attribute__((target("avx512f"), always_inline)) inline vlimbs mul_mod8(const vlimbs& h,
                                                                        const vlimbs& r,
                                                                        const vlimbs& s) noexcept {
  const auto& x = h.v;
  __m512i d0 = add(add(add(mul(x[0], r.v[0]), mul(x[1], s.v[4])), add(mul(x[2], s.v[3]), mul(x[3], s.v[2]))), mul(x[4], s.v[1]));
  __m512i d1 = add(add(add(mul(x[0], r.v[1]), mul(x[1], r.v[0])), add(mul(x[2], s.v[4]), mul(x[3], s.v[3]))), mul(x[4], s.v[2]));
  __m512i d2 = add(add(add(mul(x[0], r.v[2]), mul(x[1], r.v[1])), add(mul(x[2], r.v[0]), mul(x[3], s.v[4]))), mul(x[4], s.v[3]));
  __m512i d3 = add(add(add(mul(x[0], r.v[3]), mul(x[1], r.v[2])), add(mul(x[2], r.v[1]), mul(x[3], r.v[0]))), mul(x[4], s.v[4]));
  __m512i d4 = add(add(add(mul(x[0], r.v[4]), mul(x[1], r.v[3])), add(mul(x[2], r.v[2]), mul(x[3], r.v[1]))), mul(x[4], r.v[0]));
  const __m512i m26 = _mm512_set1_epi64(static_cast<long long>(mask26));
  __m512i c0 = _mm512_srli_epi64(d0, 26);
  __m512i c3 = _mm512_srli_epi64(d3, 26);
  d0 = _mm512_and_si512(d0, m26);
  d3 = _mm512_and_si512(d3, m26);
  d1 = add(d1, c0);
  d4 = add(d4, c3);
  const __m512i c1 = _mm512_srli_epi64(d1, 26);
  const __m512i c4 = _mm512_srli_epi64(d4, 26);
  d1 = _mm512_and_si512(d1, m26);
  d4 = _mm512_and_si512(d4, m26);
  d2 = add(d2, c1);
  d0 = add(d0, add(c4, _mm512_slli_epi64(c4, 2)));
  const __m512i c2 = _mm512_srli_epi64(d2, 26);
  c0 = _mm512_srli_epi64(d0, 26);
  d2 = _mm512_and_si512(d2, m26);
  d0 = _mm512_and_si512(d0, m26);
  d3 = add(d3, c2);
  d1 = add(d1, c0);
  c3 = _mm512_srli_epi64(d3, 26);
  d3 = _mm512_and_si512(d3, m26);
  d4 = add(d4, c3);
  return {{d0, d1, d2, d3, d4}};
}

/// The multipliers of the eight-lane loop: r^8 in every lane (r8, and 5 r^8
/// in s8), and r^8 .. r^1 in lanes 0..7 for the last step (rf, sf).
struct lane_powers {
  vlimbs r8;
  vlimbs s8;
  vlimbs rf;
  vlimbs sf;
  lane_powers() = default;
  lane_powers(const lane_powers&) = delete;
  lane_powers& operator=(const lane_powers&) = delete;
  ~lane_powers() { sodium_memzero(this, sizeof(*this)); }
};

__attribute__((target("avx512f"))) void make_lane_powers(const limbs& r, lane_powers& lp) noexcept {
  // r^2..r^8 in three dependent steps, not seven: the products of a step
  // are independent, so the core overlaps them
  limbs pw[9];
  pw[1] = r;
  pw[2] = mul_mod(r, r);
  pw[3] = mul_mod(pw[2], r);
  pw[4] = mul_mod(pw[2], pw[2]);
  pw[5] = mul_mod(pw[4], r);
  pw[6] = mul_mod(pw[4], pw[2]);
  pw[7] = mul_mod(pw[4], pw[3]);
  pw[8] = mul_mod(pw[4], pw[4]);
  const __m512i five = _mm512_set1_epi64(5);
  for (int i = 0; i < 5; ++i) {
    lp.r8.v[i] = _mm512_set1_epi64(static_cast<long long>(pw[8].v[i]));
    lp.s8.v[i] = _mm512_mul_epu32(lp.r8.v[i], five);
    lp.rf.v[i] = _mm512_setr_epi64(
        static_cast<long long>(pw[8].v[i]), static_cast<long long>(pw[7].v[i]),
        static_cast<long long>(pw[6].v[i]), static_cast<long long>(pw[5].v[i]),
        static_cast<long long>(pw[4].v[i]), static_cast<long long>(pw[3].v[i]),
        static_cast<long long>(pw[2].v[i]), static_cast<long long>(pw[1].v[i]));
    lp.sf.v[i] = _mm512_mul_epu32(lp.rf.v[i], five);
  }
  sodium_memzero(pw, sizeof(pw));
}

/// Sums the eight lanes of acc (after its last step) into limbs of h.
__attribute__((target("avx512f"))) limbs sum_lanes(const vlimbs& acc) noexcept {
  uint64_t t[5];
  for (int i = 0; i < 5; ++i)
    t[i] = static_cast<uint64_t>(_mm512_reduce_add_epi64(acc.v[i]));
  // The sum of eight lanes: limbs below 2^30; one carry pass as in mul_mod.
  return carried({{t[0], t[1], t[2], t[3], t[4]}});
}

} // namespace

// The AEAD's blocks after the associated data: T = the ciphertext's full
// blocks, its last partial block padded with zeros, the lengths block. The
// eight-lane loop needs a multiple of eight blocks, so the sequence is led
// by (8 - T mod 8) mod 8 blocks of zero (with no 2^128 bit: they add
// nothing, before or after a multiplication by r), and h from the associated
// data joins the first real block. Every block then goes through the vector
// loop and the last step's powers; none goes one at a time.
__attribute__((target("avx512f"))) void poly1305::aead_rest(const uint8_t* ct, size_t ct_len,
                                                            size_t ad_len) noexcept {
  const size_t full = ct_len / 16;
  const size_t rem = ct_len % 16;
  alignas(16) uint8_t tail[32] = {};
  size_t tail_blocks = 0;
  if (rem > 0) {
    std::memcpy(tail, ct + 16 * full, rem);
    tail_blocks = 1;
  }
  const uint64_t a = ad_len;
  const uint64_t c = ct_len;
  for (int i = 0; i < 8; ++i) {
    tail[16 * tail_blocks + i] = static_cast<uint8_t>(a >> (8 * i));
    tail[16 * tail_blocks + 8 + i] = static_cast<uint8_t>(c >> (8 * i));
  }
  ++tail_blocks;
  const size_t real = full + tail_blocks;
  const size_t lead = (8 - real % 8) % 8;
  const size_t groups = (lead + real) / 8;
  lane_powers lp;
  make_lane_powers(r_, lp);
  const long long top1 = 1 << 24;
  vlimbs acc{};
  for (size_t g = 0; g < groups; ++g) {
    vlimbs m;
    const size_t first = 8 * g; // the group's first block, lead included
    if (first >= lead && first + 8 - lead <= full) {
      m = load8(ct + 16 * (first - lead));
    } else {
      // a group with lead zeros or tail blocks in it, assembled here
      alignas(64) uint8_t group[128];
      alignas(64) long long tops[8];
      for (size_t j = 0; j < 8; ++j) {
        const size_t v = first + j;
        uint8_t* dst = group + 16 * j;
        if (v < lead) {
          std::memset(dst, 0, 16);
          tops[j] = 0;
          continue;
        }
        const size_t k = v - lead;
        std::memcpy(dst, k < full ? ct + 16 * k : tail + 16 * (k - full), 16);
        tops[j] = top1;
      }
      m = load8(group, _mm512_load_si512(tops));
    }
    if (g == 0) {
      // h (from the associated data) joins the first real block, lane `lead`
      alignas(64) long long hl[8] = {};
      for (int i = 0; i < 5; ++i) {
        hl[lead] = static_cast<long long>(h_.v[i]);
        acc.v[i] = _mm512_add_epi64(m.v[i], _mm512_load_si512(hl));
      }
      sodium_memzero(hl, sizeof(hl));
    } else {
      acc = mul_mod8(acc, lp.r8, lp.s8);
      for (int i = 0; i < 5; ++i)
        acc.v[i] = _mm512_add_epi64(acc.v[i], m.v[i]);
    }
  }
  acc = mul_mod8(acc, lp.rf, lp.sf);
  h_ = sum_lanes(acc);
  pending_ = 0;
}

__attribute__((target("avx512f"))) size_t poly1305::blocks8(const uint8_t* p, size_t n) noexcept {
  lane_powers lp;
  make_lane_powers(r_, lp);
  // The first eight blocks, h added to lane 0.
  vlimbs acc = load8(p);
  for (int i = 0; i < 5; ++i)
    acc.v[i] = _mm512_add_epi64(acc.v[i], _mm512_setr_epi64(static_cast<long long>(h_.v[i]), 0, 0,
                                                            0, 0, 0, 0, 0));
  size_t done = 128;
  for (; n - done >= 128; done += 128) {
    acc = mul_mod8(acc, lp.r8, lp.s8);
    const vlimbs m = load8(p + done);
    for (int i = 0; i < 5; ++i)
      acc.v[i] = _mm512_add_epi64(acc.v[i], m.v[i]);
  }
  acc = mul_mod8(acc, lp.rf, lp.sf);
  h_ = sum_lanes(acc);
  return done;
}

#endif // SKYWIRE_HAVE_AVX512_CHACHA

} // namespace skywire::crypto::chachapoly::detail
