#include "runtime/crypto/chachapoly.hpp"

#include <cstdlib>
#include <cstring>
#include <string_view>

#include <sodium.h>

#include "runtime/crypto/avx512.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/poly1305.hpp"

namespace skywire::crypto::chachapoly {

namespace {

using detail::poly1305;

// Messages longer than this never take the vector path: the block counter of
// a 16-block group must not wrap (libsodium refuses such lengths anyway).
constexpr size_t max_vector_len = size_t{1} << 30;

uint32_t load_le32(const uint8_t* p) noexcept {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8)
         | (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

/// ChaCha20's quarter round on words a, b, c, d of the scalar state x.
inline __attribute__((always_inline)) void scalar_qr(uint32_t* x, int a, int b, int c,
                                                     int d) noexcept {
  auto rotl = [](uint32_t v, int n) { return (v << n) | (v >> (32 - n)); };
  x[a] += x[b];
  x[d] = rotl(x[d] ^ x[a], 16);
  x[c] += x[d];
  x[b] = rotl(x[b] ^ x[c], 12);
  x[a] += x[b];
  x[d] = rotl(x[d] ^ x[a], 8);
  x[c] += x[d];
  x[b] = rotl(x[b] ^ x[c], 7);
}

/// Block `ctr` of the state `s`, 32 bytes of it (the Poly1305 key is the
/// first half of block 0), in scalar code (where the vector path, which
/// computes it beside the stream, is not built).
[[maybe_unused]] void block_head(const uint32_t* s, uint32_t ctr, uint8_t* out32) noexcept {
  uint32_t x[16];
  std::memcpy(x, s, sizeof(x));
  x[12] = ctr;
  auto qr = [&](int a, int b, int c, int d) { scalar_qr(x, a, b, c, d); };
  for (int r = 0; r < 10; ++r) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  for (int i = 0; i < 8; ++i) {
    const uint32_t v = x[i] + s[i];
    for (int b = 0; b < 4; ++b)
      out32[4 * i + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  sodium_memzero(x, sizeof(x));
}

void init_state(uint32_t* s, const uint8_t* key, const uint8_t* nonce) noexcept {
  static constexpr uint32_t sigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  std::memcpy(s, sigma, sizeof(sigma));
  for (int i = 0; i < 8; ++i)
    s[4 + i] = static_cast<uint32_t>(load_le32(key + 4 * i));
  s[12] = 0;
  for (int i = 0; i < 3; ++i)
    s[13 + i] = static_cast<uint32_t>(load_le32(nonce + 4 * i));
}

#ifdef SKYWIRE_HAVE_AVX512_CHACHA

#define SKYWIRE_CHACHA_QR(a, b, c, d)                                                            \
  a = _mm512_add_epi32(a, b);                                                                    \
  d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 16);                                              \
  c = _mm512_add_epi32(c, d);                                                                    \
  b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 12);                                              \
  a = _mm512_add_epi32(a, b);                                                                    \
  d = _mm512_rol_epi32(_mm512_xor_si512(d, a), 8);                                               \
  c = _mm512_add_epi32(c, d);                                                                    \
  b = _mm512_rol_epi32(_mm512_xor_si512(b, c), 7);

/// Sixteen ChaCha20 blocks (counters ctr .. ctr+15) of the state `s`: lane j
/// of word i is word i of block j. The keystream (1024 bytes, block after
/// block) is XORed with `in` into `out`, or written to `out` if in is null.
/// With `head`, also the first 32 bytes of block 0 (the Poly1305 key) into
/// head32, in scalar code whose rounds sit between the vector ones: the
/// integer units run them while the vector units are busy, so the key costs
/// little more than nothing (alone, one scalar block is about half a group).
template <bool head>
__attribute__((target("avx512f"))) void group16_impl(const uint32_t* s, uint32_t ctr,
                                                     const uint8_t* in, uint8_t* out,
                                                     uint8_t* head32) noexcept {
  __m512i x[16];
  __m512i o[16];
  for (int i = 0; i < 16; ++i)
    o[i] = _mm512_set1_epi32(static_cast<int>(s[i]));
  o[12] = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(ctr)),
                           _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  for (int i = 0; i < 16; ++i)
    x[i] = o[i];
  [[maybe_unused]] uint32_t y[16];
  if constexpr (head) {
    std::memcpy(y, s, sizeof(y));
    y[12] = 0;
  }
  [[maybe_unused]] auto qr = [&y](int a, int b, int c, int d) { scalar_qr(y, a, b, c, d); };
  for (int r = 0; r < 10; ++r) {
    SKYWIRE_CHACHA_QR(x[0], x[4], x[8], x[12])
    SKYWIRE_CHACHA_QR(x[1], x[5], x[9], x[13])
    if constexpr (head) {
      qr(0, 4, 8, 12);
      qr(1, 5, 9, 13);
    }
    SKYWIRE_CHACHA_QR(x[2], x[6], x[10], x[14])
    SKYWIRE_CHACHA_QR(x[3], x[7], x[11], x[15])
    if constexpr (head) {
      qr(2, 6, 10, 14);
      qr(3, 7, 11, 15);
    }
    SKYWIRE_CHACHA_QR(x[0], x[5], x[10], x[15])
    SKYWIRE_CHACHA_QR(x[1], x[6], x[11], x[12])
    if constexpr (head) {
      qr(0, 5, 10, 15);
      qr(1, 6, 11, 12);
    }
    SKYWIRE_CHACHA_QR(x[2], x[7], x[8], x[13])
    SKYWIRE_CHACHA_QR(x[3], x[4], x[9], x[14])
    if constexpr (head) {
      qr(2, 7, 8, 13);
      qr(3, 4, 9, 14);
    }
  }
  if constexpr (head) {
    for (int i = 0; i < 8; ++i) {
      const uint32_t v = y[i] + s[i];
      for (int b = 0; b < 4; ++b)
        head32[4 * i + b] = static_cast<uint8_t>(v >> (8 * b));
    }
    sodium_memzero(y, sizeof(y));
  }
  for (int i = 0; i < 16; ++i)
    x[i] = _mm512_add_epi32(x[i], o[i]);
  // Transpose. Within each 128-bit lane k: interleave words, then pairs, so
  // v[g][m] lane k holds words 4g..4g+3 of block 4k+m ...
  __m512i v[4][4];
  for (int g = 0; g < 4; ++g) {
    __m512i t0 = _mm512_unpacklo_epi32(x[4 * g], x[4 * g + 1]);
    __m512i t1 = _mm512_unpackhi_epi32(x[4 * g], x[4 * g + 1]);
    __m512i t2 = _mm512_unpacklo_epi32(x[4 * g + 2], x[4 * g + 3]);
    __m512i t3 = _mm512_unpackhi_epi32(x[4 * g + 2], x[4 * g + 3]);
    v[g][0] = _mm512_unpacklo_epi64(t0, t2);
    v[g][1] = _mm512_unpackhi_epi64(t0, t2);
    v[g][2] = _mm512_unpacklo_epi64(t1, t3);
    v[g][3] = _mm512_unpackhi_epi64(t1, t3);
  }
  // ... then a 4x4 transpose of 128-bit lanes gives each block whole.
  for (int m = 0; m < 4; ++m) {
    __m512i p = _mm512_shuffle_i32x4(v[0][m], v[1][m], 0x44);
    __m512i q = _mm512_shuffle_i32x4(v[0][m], v[1][m], 0xEE);
    __m512i r = _mm512_shuffle_i32x4(v[2][m], v[3][m], 0x44);
    __m512i t = _mm512_shuffle_i32x4(v[2][m], v[3][m], 0xEE);
    const __m512i blocks[4] = {_mm512_shuffle_i32x4(p, r, 0x88), _mm512_shuffle_i32x4(p, r, 0xDD),
                               _mm512_shuffle_i32x4(q, t, 0x88), _mm512_shuffle_i32x4(q, t, 0xDD)};
    for (int k = 0; k < 4; ++k) {
      const size_t off = static_cast<size_t>(4 * k + m) * 64;
      if (in != nullptr)
        _mm512_storeu_si512(out + off,
                            _mm512_xor_si512(blocks[k], _mm512_loadu_si512(in + off)));
      else
        _mm512_storeu_si512(out + off, blocks[k]);
    }
  }
}

__attribute__((target("avx512f"))) void group16(const uint32_t* s, uint32_t ctr,
                                                const uint8_t* in, uint8_t* out) noexcept {
  group16_impl<false>(s, ctr, in, out, nullptr);
}

/// Four ChaCha20 blocks (counters 0..3) of the state `s` into ks (256 bytes),
/// in one pass: each 128-bit lane holds one row of one block (row layout), so
/// the four blocks cost about what one costs in scalar code. For the short
/// messages of round trips and control traffic, where libsodium's dispatch and
/// its separate Poly1305-key block cost more than the message.
__attribute__((target("avx512f"))) void group4(const uint32_t* s, uint8_t* ks) noexcept {
  const __m512i a0 = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)));
  const __m512i b0 =
    _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 4)));
  const __m512i c0 =
    _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 8)));
  const __m512i d0 = _mm512_add_epi32(
    _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 12))),
    _mm512_setr_epi32(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0));
  __m512i a = a0, b = b0, c = c0, d = d0;
  for (int r = 0; r < 10; ++r) {
    SKYWIRE_CHACHA_QR(a, b, c, d)
    b = _mm512_shuffle_epi32(b, static_cast<_MM_PERM_ENUM>(_MM_SHUFFLE(0, 3, 2, 1)));
    c = _mm512_shuffle_epi32(c, static_cast<_MM_PERM_ENUM>(_MM_SHUFFLE(1, 0, 3, 2)));
    d = _mm512_shuffle_epi32(d, static_cast<_MM_PERM_ENUM>(_MM_SHUFFLE(2, 1, 0, 3)));
    SKYWIRE_CHACHA_QR(a, b, c, d)
    b = _mm512_shuffle_epi32(b, static_cast<_MM_PERM_ENUM>(_MM_SHUFFLE(2, 1, 0, 3)));
    c = _mm512_shuffle_epi32(c, static_cast<_MM_PERM_ENUM>(_MM_SHUFFLE(1, 0, 3, 2)));
    d = _mm512_shuffle_epi32(d, static_cast<_MM_PERM_ENUM>(_MM_SHUFFLE(0, 3, 2, 1)));
  }
  a = _mm512_add_epi32(a, a0);
  b = _mm512_add_epi32(b, b0);
  c = _mm512_add_epi32(c, c0);
  d = _mm512_add_epi32(d, d0);
  // Lane k of a, b, c, d is block k's rows 0..3: gather each block's rows.
  const __m512i ab_lo = _mm512_shuffle_i32x4(a, b, 0x44); // a0 a1 b0 b1
  const __m512i ab_hi = _mm512_shuffle_i32x4(a, b, 0xEE); // a2 a3 b2 b3
  const __m512i cd_lo = _mm512_shuffle_i32x4(c, d, 0x44); // c0 c1 d0 d1
  const __m512i cd_hi = _mm512_shuffle_i32x4(c, d, 0xEE); // c2 c3 d2 d3
  _mm512_storeu_si512(ks, _mm512_shuffle_i32x4(ab_lo, cd_lo, 0x88));       // a0 b0 c0 d0
  _mm512_storeu_si512(ks + 64, _mm512_shuffle_i32x4(ab_lo, cd_lo, 0xDD));  // a1 b1 c1 d1
  _mm512_storeu_si512(ks + 128, _mm512_shuffle_i32x4(ab_hi, cd_hi, 0x88)); // a2 b2 c2 d2
  _mm512_storeu_si512(ks + 192, _mm512_shuffle_i32x4(ab_hi, cd_hi, 0xDD)); // a3 b3 c3 d3
}

#undef SKYWIRE_CHACHA_QR

/// out = in ^ ks, n bytes (n at most 1024).
__attribute__((target("avx512f"))) void xor_keystream(uint8_t* out, const uint8_t* in,
                                                      const uint8_t* ks, size_t n) noexcept {
  size_t i = 0;
  for (; i + 64 <= n; i += 64)
    _mm512_storeu_si512(out + i, _mm512_xor_si512(_mm512_loadu_si512(in + i),
                                                  _mm512_loadu_si512(ks + i)));
  for (; i < n; ++i)
    out[i] = static_cast<uint8_t>(in[i] ^ ks[i]);
}

/// The keystream of state s from block ic XORed with in into out; with
/// head32, the first group also gives block 0's first 32 bytes there.
void avx512_xor_from(const uint32_t* s, uint8_t* out, const uint8_t* in, size_t len, uint32_t ic,
                     uint8_t* head32) noexcept {
  if (head32 != nullptr && len >= 1024) {
    group16_impl<true>(s, ic, in, out, head32);
    len -= 1024;
    in += 1024;
    out += 1024;
    ic += 16;
    head32 = nullptr;
  }
  for (; len >= 1024; len -= 1024, in += 1024, out += 1024, ic += 16)
    group16(s, ic, in, out);
  if (len > 0 || head32 != nullptr) {
    alignas(64) uint8_t ks[1024];
    if (head32 != nullptr)
      group16_impl<true>(s, ic, nullptr, ks, head32);
    else
      group16(s, ic, nullptr, ks);
    xor_keystream(out, in, ks, len);
    sodium_memzero(ks, sizeof(ks));
  }
}

void avx512_xor(uint8_t* out, const uint8_t* in, size_t len, const uint8_t* nonce, uint32_t ic,
                const uint8_t* key) noexcept {
  uint32_t s[16];
  init_state(s, key, nonce);
  avx512_xor_from(s, out, in, len, ic, nullptr);
  sodium_memzero(s, sizeof(s));
}

#endif // SKYWIRE_HAVE_AVX512_CHACHA


bool cpu_has_avx512() noexcept {
#ifdef SKYWIRE_HAVE_AVX512_CHACHA
  // libgcc's check includes the OS saving the AVX-512 state (XCR0).
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

impl pick() noexcept {
  ensure_sodium();
  const char* env = std::getenv("SKYWIRE_CHACHA");
  if (env != nullptr && std::string_view{env} == "libsodium")
    return impl::libsodium;
  return cpu_has_avx512() ? impl::avx512 : impl::libsodium;
}

const impl active_impl = pick();

/// libsodium's Poly1305 behind the interface of ours.
class sodium_poly1305 {
public:
  explicit sodium_poly1305(const uint8_t* key) noexcept { crypto_onetimeauth_poly1305_init(&st_, key); }
  sodium_poly1305(const sodium_poly1305&) = delete;
  sodium_poly1305& operator=(const sodium_poly1305&) = delete;
  ~sodium_poly1305() { sodium_memzero(&st_, sizeof(st_)); }
  void update(const uint8_t* p, size_t n) noexcept { crypto_onetimeauth_poly1305_update(&st_, p, n); }
  void final(uint8_t* tag) noexcept { crypto_onetimeauth_poly1305_final(&st_, tag); }

private:
  crypto_onetimeauth_poly1305_state st_;
};

/// Our Poly1305 pays for r^2..r^8 once per message: below this many bytes of
/// ciphertext libsodium's is as fast.
constexpr size_t poly_vector_threshold = 1024;

/// Poly1305 over ad || pad16 || ct || pad16 || le64(ad_len) || le64(ct_len)
/// with the key from block 0 of the keystream (RFC 8439 §2.8).
template <class Mac>
void aead_tag(const uint8_t* poly_key, const uint8_t* ad, size_t ad_len, const uint8_t* ct,
              size_t ct_len, uint8_t* tag) noexcept {
  static const uint8_t zeros[16] = {};
  Mac mac{poly_key};
  if (ad_len > 0) {
    mac.update(ad, ad_len);
    mac.update(zeros, (16 - ad_len % 16) % 16);
  }
  mac.update(ct, ct_len);
  mac.update(zeros, (16 - ct_len % 16) % 16);
  uint8_t lens[16];
  const uint64_t a = ad_len;
  const uint64_t c = ct_len;
  for (int i = 0; i < 8; ++i) {
    lens[i] = static_cast<uint8_t>(a >> (8 * i));
    lens[8 + i] = static_cast<uint8_t>(c >> (8 * i));
  }
  mac.update(lens, sizeof(lens));
  mac.final(tag);
}

void aead_tag(impl i, const uint8_t* poly_key, const uint8_t* ad, size_t ad_len,
              const uint8_t* ct, size_t ct_len, uint8_t* tag) noexcept {
#ifdef SKYWIRE_HAVE_AVX512_CHACHA
  if (i == impl::avx512 && ct_len >= poly_vector_threshold) {
    static const uint8_t zeros[16] = {};
    poly1305 mac{poly_key};
    if (ad_len > 0) {
      mac.update(ad, ad_len);
      mac.update(zeros, (16 - ad_len % 16) % 16);
    }
    mac.aead_rest(ct, ct_len, ad_len);
    mac.final(tag);
    return;
  }
#endif
  if (i == impl::avx512 && ct_len >= poly_vector_threshold)
    aead_tag<poly1305>(poly_key, ad, ad_len, ct, ct_len, tag);
  else
    aead_tag<sodium_poly1305>(poly_key, ad, ad_len, ct, ct_len, tag);
}

bool vector_path(impl i, size_t len) noexcept {
  return i == impl::avx512 && len <= max_vector_len;
}

} // namespace

bool available(impl i) noexcept {
  return i == impl::libsodium || cpu_has_avx512();
}

impl active() noexcept {
  return active_impl;
}

void stream_xor(impl i, uint8_t* out, const uint8_t* in, size_t len, const uint8_t* nonce,
                uint32_t ic, const uint8_t* key) noexcept {
#ifdef SKYWIRE_HAVE_AVX512_CHACHA
  if (vector_path(i, len)) {
    avx512_xor(out, in, len, nonce, ic, key);
    return;
  }
#endif
  crypto_stream_chacha20_ietf_xor_ic(out, in, len, nonce, ic, key);
}

namespace {

#ifdef SKYWIRE_HAVE_AVX512_CHACHA
/// The keystream's first four blocks: the Poly1305 key, then up to 192 bytes.
struct small_keystream {
  alignas(64) uint8_t ks[256];
  small_keystream(const uint8_t* key, const uint8_t* nonce) noexcept {
    uint32_t st[16];
    init_state(st, key, nonce);
    group4(st, ks);
    sodium_memzero(st, sizeof(st));
  }
  small_keystream(const small_keystream&) = delete;
  small_keystream& operator=(const small_keystream&) = delete;
  ~small_keystream() { sodium_memzero(ks, sizeof(ks)); }
  void xor_into(uint8_t* out, const uint8_t* in, size_t len) const noexcept {
    for (size_t j = 0; j < len; ++j)
      out[j] = static_cast<uint8_t>(in[j] ^ ks[64 + j]);
  }
};
#endif

[[maybe_unused]] bool small_path(impl i, size_t len) noexcept {
#ifdef SKYWIRE_HAVE_AVX512_CHACHA
  return i == impl::avx512 && len <= small_max;
#else
  (void)i;
  (void)len;
  return false;
#endif
}

} // namespace

void seal(impl i, uint8_t* out, const uint8_t* in, size_t len, const uint8_t* ad, size_t ad_len,
          const uint8_t* nonce, const uint8_t* key) noexcept {
#ifdef SKYWIRE_HAVE_AVX512_CHACHA
  if (small_path(i, len)) {
    small_keystream k{key, nonce};
    k.xor_into(out, in, len);
    aead_tag<sodium_poly1305>(k.ks, ad, ad_len, out, len, out + len);
    return;
  }
#endif
  if (!vector_path(i, len)) {
    crypto_aead_chacha20poly1305_ietf_encrypt(out, nullptr, in, len, ad, ad_len, nullptr, nonce,
                                              key);
    return;
  }
  uint8_t poly_key[32];
  uint32_t st[16];
  init_state(st, key, nonce);
#ifdef SKYWIRE_HAVE_AVX512_CHACHA
  // the key's block computed beside the first sixteen of the stream
  avx512_xor_from(st, out, in, len, 1, poly_key);
#else
  block_head(st, 0, poly_key);
  stream_xor(i, out, in, len, nonce, 1, key);
#endif
  sodium_memzero(st, sizeof(st));
  aead_tag(i, poly_key, ad, ad_len, out, len, out + len);
  sodium_memzero(poly_key, sizeof(poly_key));
}

bool open(impl i, uint8_t* out, const uint8_t* in, size_t len, const uint8_t* ad, size_t ad_len,
          const uint8_t* nonce, const uint8_t* key) noexcept {
  if (len < tag_len)
    return false;
  const size_t ct_len = len - tag_len;
#ifdef SKYWIRE_HAVE_AVX512_CHACHA
  if (small_path(i, ct_len)) {
    small_keystream k{key, nonce};
    uint8_t tag[tag_len];
    aead_tag<sodium_poly1305>(k.ks, ad, ad_len, in, ct_len, tag);
    if (crypto_verify_16(tag, in + ct_len) != 0)
      return false;
    k.xor_into(out, in, ct_len);
    return true;
  }
#endif
  if (!vector_path(i, ct_len)) {
    return crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, nullptr, in, ct_len, in + ct_len,
                                                              ad, ad_len, nonce, key)
           == 0;
  }
  uint8_t poly_key[32];
  uint32_t st[16];
  init_state(st, key, nonce);
  uint8_t tag[tag_len];
#ifdef SKYWIRE_HAVE_AVX512_CHACHA
  // The key's block beside the stream's first sixteen, kept here until the
  // tag over the ciphertext is checked (in may be out).
  alignas(64) uint8_t ks[1024];
  group16_impl<true>(st, 1, nullptr, ks, poly_key);
  aead_tag(i, poly_key, ad, ad_len, in, ct_len, tag);
  sodium_memzero(poly_key, sizeof(poly_key));
  const bool ok = crypto_verify_16(tag, in + ct_len) == 0;
  if (ok) {
    const size_t first = ct_len < sizeof(ks) ? ct_len : sizeof(ks);
    xor_keystream(out, in, ks, first);
    avx512_xor_from(st, out + first, in + first, ct_len - first, 17, nullptr);
  }
  sodium_memzero(ks, sizeof(ks));
  sodium_memzero(st, sizeof(st));
  return ok;
#else
  block_head(st, 0, poly_key);
  sodium_memzero(st, sizeof(st));
  aead_tag(i, poly_key, ad, ad_len, in, ct_len, tag);
  sodium_memzero(poly_key, sizeof(poly_key));
  if (crypto_verify_16(tag, in + ct_len) != 0)
    return false;
  stream_xor(i, out, in, ct_len, nonce, 1, key);
  return true;
#endif
}

void poly1305_mac(impl i, uint8_t* tag, const uint8_t* in, size_t len,
                  const uint8_t* key) noexcept {
  if (i == impl::avx512) {
    poly1305 mac{key};
    mac.update(in, len);
    mac.final(tag);
  } else {
    crypto_onetimeauth_poly1305(tag, in, len, key);
  }
}

void seal(uint8_t* out, const uint8_t* in, size_t len, const uint8_t* ad, size_t ad_len,
          const uint8_t* nonce, const uint8_t* key) noexcept {
  seal(len >= vector_threshold || len <= small_max ? active_impl : impl::libsodium, out, in, len, ad,
       ad_len, nonce, key);
}

bool open(uint8_t* out, const uint8_t* in, size_t len, const uint8_t* ad, size_t ad_len,
          const uint8_t* nonce, const uint8_t* key) noexcept {
  const bool ours = len >= vector_threshold + tag_len || len <= small_max + tag_len;
  return open(ours ? active_impl : impl::libsodium, out, in, len, ad, ad_len, nonce, key);
}

} // namespace skywire::crypto::chachapoly
