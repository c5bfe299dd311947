#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include <sodium.h>

#include "messages/ids.hpp"
#include "runtime/crypto/chachapoly.hpp"
#include "runtime/crypto/hash.hpp"

using namespace skywire;
using namespace skywire::crypto;
namespace cp = skywire::crypto::chachapoly;

namespace {

std::vector<uint8_t> bytes_of(std::string_view hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  REQUIRE_FALSE(from_hex(hex, out));
  return out;
}

std::vector<uint8_t> random_vec(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v)
    b = static_cast<uint8_t>(rng());
  return v;
}

/// Whether this CPU runs our AVX-512 code (else a message says there is
/// nothing to compare it with).
bool vector_code_here() {
  if (cp::available(cp::impl::avx512))
    return true;
  MESSAGE("this CPU has no AVX-512F: nothing to compare");
  return false;
}

std::vector<cp::impl> impls() {
  std::vector<cp::impl> out{cp::impl::libsodium};
  if (cp::available(cp::impl::avx512))
    out.push_back(cp::impl::avx512);
  else
    MESSAGE("this CPU has no AVX-512F: only the libsodium implementation is checked");
  return out;
}

} // namespace

TEST_CASE("ChaCha20-Poly1305 reproduces the RFC 8439 AEAD vector (section 2.8.2) in every "
          "implementation") {
  ensure_sodium();
  const std::string_view text = "Ladies and Gentlemen of the class of '99: If I could offer you "
                                "only one tip for the future, sunscreen would be it.";
  const auto key = bytes_of("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const auto nonce = bytes_of("070000004041424344454647");
  const auto ad = bytes_of("50515253c0c1c2c3c4c5c6c7");
  const auto expected = bytes_of(
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92"
      "728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b"
      "4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
      "1ae10b594f09e26a7e902ecbd0600691");
  for (auto i : impls()) {
    CAPTURE(static_cast<int>(i));
    std::vector<uint8_t> out(text.size() + cp::tag_len);
    cp::seal(i, out.data(), reinterpret_cast<const uint8_t*>(text.data()), text.size(), ad.data(),
             ad.size(), nonce.data(), key.data());
    CHECK(out == expected);
    std::vector<uint8_t> back(text.size());
    REQUIRE(cp::open(i, back.data(), out.data(), out.size(), ad.data(), ad.size(), nonce.data(),
                     key.data()));
    CHECK(std::string_view{reinterpret_cast<const char*>(back.data()), back.size()} == text);
  }
}

TEST_CASE("the ChaCha20 keystream matches libsodium's at every length and starting block") {
  ensure_sodium();
  if (!vector_code_here())
    return;
  std::mt19937 rng(7);
  // Every length around the 64-byte block and the 1 KiB group, then random ones.
  std::vector<size_t> lens;
  for (size_t n = 0; n <= 2100; ++n)
    if (n < 130 || n % 64 <= 1 || n % 64 == 63 || (n > 1000 && n < 1100))
      lens.push_back(n);
  for (int k = 0; k < 200; ++k)
    lens.push_back(rng() % 20000);
  for (size_t len : lens) {
    CAPTURE(len);
    const auto key = random_vec(rng, cp::key_len);
    const auto nonce = random_vec(rng, cp::nonce_len);
    // Starting blocks near the top of the 32-bit counter too (never past it:
    // libsodium refuses a counter that would wrap).
    const uint32_t top = 0xffffffffu - static_cast<uint32_t>((len + 63) / 64) + 1;
    const uint32_t ic = rng() % 3 == 0 ? top - static_cast<uint32_t>(rng() % 64)
                                       : static_cast<uint32_t>(rng() % 100000);
    const auto in = random_vec(rng, len);
    std::vector<uint8_t> want(len);
    std::vector<uint8_t> got(len);
    crypto_stream_chacha20_ietf_xor_ic(want.data(), in.data(), len, nonce.data(), ic, key.data());
    cp::stream_xor(cp::impl::avx512, got.data(), in.data(), len, nonce.data(), ic, key.data());
    REQUIRE(got == want);
  }
}

TEST_CASE("sealing and opening agree with libsodium, in place or not; a changed byte is refused") {
  ensure_sodium();
  std::mt19937 rng(11);
  for (auto i : impls()) {
    CAPTURE(static_cast<int>(i));
    // every length of the short-message path (up to small_max) and its edge,
    // then the vector path's edges
    std::vector<size_t> lens;
    for (size_t len = 0; len <= cp::small_max + 1; ++len)
      lens.push_back(len);
    for (size_t len : {511, 512, 1023, 1024, 1025, 4070, 4096, 65535})
      lens.push_back(len);
    for (size_t len : lens) {
      for (size_t ad_len : {size_t{0}, size_t{5}, size_t{16}, size_t{33}}) {
        CAPTURE(len);
        CAPTURE(ad_len);
        const auto key = random_vec(rng, cp::key_len);
        const auto nonce = random_vec(rng, cp::nonce_len);
        const auto ad = random_vec(rng, ad_len);
        const auto msg = random_vec(rng, len);
        std::vector<uint8_t> want(len + cp::tag_len);
        crypto_aead_chacha20poly1305_ietf_encrypt(want.data(), nullptr, msg.data(), len,
                                                  ad.data(), ad_len, nullptr, nonce.data(),
                                                  key.data());
        std::vector<uint8_t> got(len + cp::tag_len);
        cp::seal(i, got.data(), msg.data(), len, ad.data(), ad_len, nonce.data(), key.data());
        REQUIRE(got == want);
        // In place: the buffer holds the plaintext and room for the tag.
        std::vector<uint8_t> inplace = msg;
        inplace.resize(len + cp::tag_len);
        cp::seal(i, inplace.data(), inplace.data(), len, ad.data(), ad_len, nonce.data(),
                 key.data());
        REQUIRE(inplace == want);
        REQUIRE(cp::open(i, inplace.data(), inplace.data(), inplace.size(), ad.data(), ad_len,
                         nonce.data(), key.data()));
        inplace.resize(len);
        REQUIRE(inplace == msg);
        // Any flipped bit, in the ciphertext, the tag or the associated data.
        std::vector<uint8_t> back(len);
        auto bad = want;
        bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        CHECK_FALSE(cp::open(i, back.data(), bad.data(), bad.size(), ad.data(), ad_len,
                             nonce.data(), key.data()));
        if (ad_len > 0) {
          auto bad_ad = ad;
          bad_ad[rng() % ad_len] ^= 1;
          CHECK_FALSE(cp::open(i, back.data(), want.data(), want.size(), bad_ad.data(), ad_len,
                               nonce.data(), key.data()));
        }
        CHECK_FALSE(cp::open(i, back.data(), want.data(), cp::tag_len - 1, ad.data(), ad_len,
                             nonce.data(), key.data()));
      }
    }
  }
}

TEST_CASE("the default seal and open use the active implementation and stay libsodium-compatible") {
  ensure_sodium();
  INFO("active implementation: " << static_cast<int>(cp::active()));
  CHECK(cp::available(cp::active()));
  std::mt19937 rng(3);
  const auto key = random_vec(rng, cp::key_len);
  const auto nonce = random_vec(rng, cp::nonce_len);
  for (size_t len : {size_t{0}, size_t{32}, cp::small_max, cp::small_max + 1, size_t{300},
                     cp::vector_threshold - 1, cp::vector_threshold, size_t{4070}}) {
    const auto msg = random_vec(rng, len);
    std::vector<uint8_t> ct(len + cp::tag_len);
    cp::seal(ct.data(), msg.data(), len, nullptr, 0, nonce.data(), key.data());
    std::vector<uint8_t> back(len);
    unsigned long long back_len = 0;
    REQUIRE(crypto_aead_chacha20poly1305_ietf_decrypt(back.data(), &back_len, nullptr, ct.data(),
                                                      ct.size(), nullptr, 0, nonce.data(),
                                                      key.data())
            == 0);
    CHECK(back == msg);
    std::fill(back.begin(), back.end(), uint8_t{0});
    REQUIRE(cp::open(back.data(), ct.data(), ct.size(), nullptr, 0, nonce.data(), key.data()));
    CHECK(back == msg);
  }
}

TEST_CASE("Poly1305 matches libsodium's at every length, for random keys and for the edge keys") {
  ensure_sodium();
  if (!vector_code_here())
    return;
  std::mt19937 rng(5);
  // Lengths around a block, the eight-block step and the vector path's start;
  // messages of all-ones bytes and keys with r = 1 or 2 (and s = all ones)
  // drive the accumulator to the edges of the final reduction mod 2^130 - 5.
  for (int round = 0; round < 6000; ++round) {
    const size_t len = round < 2200 ? static_cast<size_t>(round) : rng() % 9000;
    CAPTURE(len);
    auto key = random_vec(rng, cp::key_len);
    if (round % 5 == 0) {
      std::fill(key.begin(), key.begin() + 16, uint8_t{0});
      key[0] = round % 10 == 0 ? 1 : 2;
      if (round % 3 == 0)
        std::fill(key.begin() + 16, key.end(), uint8_t{0xff});
    }
    std::vector<uint8_t> msg = random_vec(rng, len);
    if (round % 4 == 1)
      std::fill(msg.begin(), msg.end(), uint8_t{0xff});
    uint8_t want[16];
    uint8_t got[16];
    crypto_onetimeauth_poly1305(want, msg.data(), len, key.data());
    cp::poly1305_mac(cp::impl::avx512, got, msg.data(), len, key.data());
    REQUIRE(std::memcmp(want, got, 16) == 0);
  }
}

// The vector path's tag (from 1024 bytes of ciphertext) runs every block
// eight lanes wide, led by as many zero blocks as make a multiple of eight:
// every length from the path's start over two 128-byte steps and beyond
// gives each count of leading blocks, with and without associated data (whose
// blocks go first, one at a time); each tag must be libsodium's, and a changed
// byte anywhere must be refused.
TEST_CASE("the vector path's AEAD tag is libsodium's at every ciphertext length and lead") {
  ensure_sodium();
  if (!vector_code_here())
    return;
  std::mt19937 rng(17);
  std::vector<size_t> lens;
  for (size_t n = 1000; n <= 1300; ++n)
    lens.push_back(n);
  for (size_t n : {size_t{4069}, size_t{4070}, size_t{4071}, size_t{4080}, size_t{4096}})
    lens.push_back(n);
  for (int k = 0; k < 40; ++k)
    lens.push_back(1024 + rng() % 70000);
  for (size_t len : lens) {
    for (size_t ad_len : {size_t{0}, size_t{7}, size_t{16}, size_t{40}}) {
      CAPTURE(len);
      CAPTURE(ad_len);
      const auto key = random_vec(rng, cp::key_len);
      const auto nonce = random_vec(rng, cp::nonce_len);
      const auto ad = random_vec(rng, ad_len);
      auto msg = random_vec(rng, len);
      if (len % 3 == 0) {
        // a ciphertext of all-ones bytes (the MAC's blocks, limbs at their
        // largest): the plaintext is the keystream's complement
        std::vector<uint8_t> ks(len);
        crypto_stream_chacha20_ietf_xor_ic(ks.data(), std::vector<uint8_t>(len).data(), len,
                                           nonce.data(), 1, key.data());
        for (size_t j = 0; j < len; ++j)
          msg[j] = static_cast<uint8_t>(ks[j] ^ 0xff);
      }
      std::vector<uint8_t> want(len + cp::tag_len);
      crypto_aead_chacha20poly1305_ietf_encrypt(want.data(), nullptr, msg.data(), len, ad.data(),
                                                ad_len, nullptr, nonce.data(), key.data());
      std::vector<uint8_t> got(len + cp::tag_len);
      cp::seal(cp::impl::avx512, got.data(), msg.data(), len, ad.data(), ad_len, nonce.data(),
               key.data());
      REQUIRE(got == want);
      if (len % 3 == 0)
        REQUIRE(std::all_of(got.begin(), got.begin() + static_cast<ptrdiff_t>(len),
                            [](uint8_t b) { return b == 0xff; }));
      std::vector<uint8_t> back(len);
      REQUIRE(cp::open(cp::impl::avx512, back.data(), want.data(), want.size(), ad.data(), ad_len,
                       nonce.data(), key.data()));
      REQUIRE(back == msg);
      auto bad = want;
      bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      CHECK_FALSE(cp::open(cp::impl::avx512, back.data(), bad.data(), bad.size(), ad.data(),
                           ad_len, nonce.data(), key.data()));
    }
  }
}
