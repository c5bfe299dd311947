// libFuzzer target: the two ChaCha20-Poly1305 implementations against each
// other (runtime/crypto/chachapoly.hpp), on hostile ciphertexts and on
// arbitrary plaintexts.
//
// Input: 32 bytes of key, 12 of nonce, 1 byte of associated-data length
// (mod 64), that much associated data, the rest the message.
// Properties: Poly1305 of the message under the key gives the same tag in
// both; opening the message as a ciphertext gives the same verdict and
// the same plaintext in both implementations (and libsodium's one-shot call);
// sealing the message gives the same bytes in both, each opens the other's,
// and a flipped byte (chosen by the input) is refused by both.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <sodium.h>

#include "runtime/crypto/chachapoly.hpp"
#include "runtime/crypto/hash.hpp"

namespace cp = skywire::crypto::chachapoly;

namespace {

void check(bool ok) {
  if (!ok)
    std::abort();
}

/// memcmp for spans that may be empty (an empty vector's data() is null).
bool same(const uint8_t* a, const uint8_t* b, size_t n) {
  return n == 0 || std::memcmp(a, b, n) == 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  skywire::crypto::ensure_sodium();
  if (size < cp::key_len + cp::nonce_len + 1)
    return 0;
  const uint8_t* key = data;
  const uint8_t* nonce = data + cp::key_len;
  size_t off = cp::key_len + cp::nonce_len;
  const size_t ad_byte = data[off];
  ++off;
  const size_t ad_len = std::min<size_t>(ad_byte % 64, size - off);
  const uint8_t* ad = data + off;
  off += ad_len;
  const uint8_t* msg = data + off;
  const size_t len = size - off;
  const cp::impl vec = cp::available(cp::impl::avx512) ? cp::impl::avx512 : cp::impl::libsodium;

  // Poly1305 alone, keyed by the first 32 bytes.
  uint8_t tag_a[16];
  uint8_t tag_b[16];
  cp::poly1305_mac(cp::impl::libsodium, tag_a, msg, len, key);
  cp::poly1305_mac(vec, tag_b, msg, len, key);
  check(same(tag_a, tag_b, sizeof(tag_a)));

  // The message as a hostile ciphertext.
  std::vector<uint8_t> a(len);
  std::vector<uint8_t> b(len);
  const bool ok_a = cp::open(cp::impl::libsodium, a.data(), msg, len, ad, ad_len, nonce, key);
  const bool ok_b = cp::open(vec, b.data(), msg, len, ad, ad_len, nonce, key);
  check(ok_a == ok_b);
  if (ok_a)
    check(same(a.data(), b.data(), len - cp::tag_len));

  // The message as a plaintext.
  std::vector<uint8_t> sa(len + cp::tag_len);
  std::vector<uint8_t> sb(len + cp::tag_len);
  cp::seal(cp::impl::libsodium, sa.data(), msg, len, ad, ad_len, nonce, key);
  cp::seal(vec, sb.data(), msg, len, ad, ad_len, nonce, key);
  check(sa == sb);
  std::vector<uint8_t> back(len);
  check(cp::open(vec, back.data(), sa.data(), sa.size(), ad, ad_len, nonce, key));
  check(same(back.data(), msg, len));
  check(cp::open(cp::impl::libsodium, back.data(), sb.data(), sb.size(), ad, ad_len, nonce, key));
  check(same(back.data(), msg, len));
  sb[(len > 0 ? msg[0] * 131u + msg[len - 1] : key[0]) % sb.size()] ^= 0x01;
  check(!cp::open(vec, back.data(), sb.data(), sb.size(), ad, ad_len, nonce, key));
  check(!cp::open(cp::impl::libsodium, back.data(), sb.data(), sb.size(), ad, ad_len, nonce, key));
  unsigned long long n = 0;
  check(crypto_aead_chacha20poly1305_ietf_decrypt(back.data(), &n, nullptr, sb.data(), sb.size(),
                                                  ad, ad_len, nonce, key)
        != 0);
  return 0;
}
