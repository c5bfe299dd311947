// Crypto figures in one run (bounded: ~14 s of CPU, at most ~30 s of wall time):
//  1. Noise transport encrypt+decrypt on full 4096-byte frames (4070 bytes of
//     plaintext) through session::encrypt_frames and frame_reader, next to raw
//     libsodium ChaCha20-Poly1305 IETF encrypt+decrypt of the same size;
//  2. full Skywire XK and KK handshakes (both sides in-process, secp256k1,
//     random ephemerals, split included): handshakes/s and µs each;
//  3. the same handshakes cold (ss cache and ephemeral pool emptied before
//     each) and warm (ss cached, pool full: refilled outside the timing, as
//     the dmsg code refills after sending), with each side's CPU µs: what
//     a party spends between the events of its handshake.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include <sodium.h>

#include "runtime/crypto/chachapoly.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/ephemeral_pool.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "runtime/crypto/noise/static_dh_cache.hpp"

using namespace skywire;
using namespace skywire::crypto;
using namespace skywire::crypto::noise;
using clk = std::chrono::steady_clock;

namespace {

// The machine is shared: figures use this thread's CPU time, not wall time
// (the Go reference figure is CPU time too).
double thread_cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct cpu_clock {
  double t0 = thread_cpu_now();
  clk::time_point w0 = clk::now();
  double cpu() const { return thread_cpu_now() - t0; }
  /// Budgets are in CPU seconds, capped by twice as much wall time.
  bool spent(double budget) const {
    return cpu() >= budget || std::chrono::duration<double>(clk::now() - w0).count() >= 2 * budget;
  }
};

std::atomic<uint64_t> sink_bytes{0};

/// Encrypt+decrypt MB/s (plaintext bytes) through the Noise session API.
double noise_transport(double budget) {
  std::array<uint8_t, 32> k1{}, k2{};
  random_bytes(k1);
  random_bytes(k2);
  session tx{k1, k2, {}, public_key{}};
  session rx{k2, k1, {}, public_key{}};
  frame_reader reader;
  constexpr size_t batch = 16;
  std::vector<uint8_t> pt(max_frame_plaintext * batch, 0x5a);
  std::vector<uint8_t> wire;
  wire.reserve(frames_size(pt.size()));
  uint64_t bytes = 0;
  cpu_clock c;
  do {
    for (int i = 0; i < 64; ++i) {
      wire.clear();
      if (tx.encrypt_frames(pt, wire))
        std::abort();
      auto err = reader.feed(rx, wire, [&](byte_span p) { sink_bytes.fetch_add(p.size(), std::memory_order_relaxed); });
      if (err)
        std::abort();
      bytes += pt.size();
    }
  } while (!c.spent(budget));
  return static_cast<double>(bytes) / c.cpu() / 1e6;
}

/// Same work with raw libsodium calls: encrypt then decrypt one 4070-byte
/// plaintext per frame.
double raw_chachapoly(double budget) {
  ensure_sodium();
  std::array<uint8_t, 32> k{};
  random_bytes(k);
  std::vector<uint8_t> pt(max_frame_plaintext, 0x5a), ct(max_frame_plaintext + 16),
    back(max_frame_plaintext);
  uint8_t nonce[12] = {};
  uint64_t n = 0, bytes = 0;
  cpu_clock c;
  do {
    for (int i = 0; i < 1024; ++i) {
      ++n;
      std::memcpy(nonce + 4, &n, 8);
      crypto_aead_chacha20poly1305_ietf_encrypt(ct.data(), nullptr, pt.data(), pt.size(), nullptr,
                                                0, nullptr, nonce, k.data());
      if (crypto_aead_chacha20poly1305_ietf_decrypt(back.data(), nullptr, nullptr, ct.data(),
                                                    ct.size(), nullptr, 0, nonce, k.data())
          != 0)
        std::abort();
      sink_bytes.fetch_add(back[0], std::memory_order_relaxed);
      bytes += pt.size();
    }
  } while (!c.spent(budget));
  return static_cast<double>(bytes) / c.cpu() / 1e6;
}

/// One direction of the AEAD (seal, or open of what was sealed) on 4070-byte
/// messages, in MB per CPU-second of this thread: libsodium's one-shot call,
/// or runtime/crypto/chachapoly with the implementation it picked.
double aead_one_way(bool ours, bool open, double budget) {
  ensure_sodium();
  namespace cp = skywire::crypto::chachapoly;
  std::array<uint8_t, 32> k{};
  random_bytes(k);
  std::vector<uint8_t> pt(max_frame_plaintext, 0x5a), ct(max_frame_plaintext + 16),
    back(max_frame_plaintext);
  uint8_t nonce[12] = {};
  cp::seal(cp::impl::libsodium, ct.data(), pt.data(), pt.size(), nullptr, 0, nonce, k.data());
  uint64_t n = 0, bytes = 0;
  cpu_clock c;
  do {
    for (int i = 0; i < 256; ++i) {
      if (!open) {
        ++n;
        std::memcpy(nonce + 4, &n, 8);
        if (ours)
          cp::seal(ct.data(), pt.data(), pt.size(), nullptr, 0, nonce, k.data());
        else
          crypto_aead_chacha20poly1305_ietf_encrypt(ct.data(), nullptr, pt.data(), pt.size(),
                                                    nullptr, 0, nullptr, nonce, k.data());
      } else {
        const bool ok =
          ours ? cp::open(back.data(), ct.data(), ct.size(), nullptr, 0, nonce, k.data())
               : crypto_aead_chacha20poly1305_ietf_decrypt(back.data(), nullptr, nullptr,
                                                           ct.data(), ct.size(), nullptr, 0,
                                                           nonce, k.data())
                   == 0;
        if (!ok)
          std::abort();
      }
      sink_bytes.fetch_add(ct[0], std::memory_order_relaxed);
      bytes += pt.size();
    }
  } while (!c.spent(budget));
  return static_cast<double>(bytes) / c.cpu() / 1e6;
}

/// `crypto_bench aead`: one line for scripts (bench-route.sh's second
/// ceiling), median of three interleaved rounds.
int aead_only() {
  double r[4][3];
  for (int round = 0; round < 3; ++round)
    for (int m = 0; m < 4; ++m)
      r[m][round] = aead_one_way(m >= 2, m % 2 == 1, 0.4);
  auto med = [](double* v) {
    std::sort(v, v + 3);
    return v[1];
  };
  namespace cp = skywire::crypto::chachapoly;
  std::printf("AEAD 4070 impl=%s ours_enc_mb_per_cpu_s=%.1f ours_dec_mb_per_cpu_s=%.1f "
              "sodium_enc_mb_per_cpu_s=%.1f sodium_dec_mb_per_cpu_s=%.1f\n",
              cp::active() == cp::impl::avx512 ? "avx512" : "libsodium", med(r[2]), med(r[3]),
              med(r[0]), med(r[1]));
  return 0;
}

struct hs_result {
  double per_second;
  double us_each;
  uint64_t count;
};

/// Full handshakes, both sides, until the budget is spent.
hs_result handshakes(pattern_kind kind, double budget) {
  auto client = generate_keypair();
  auto server = generate_keypair();
  uint64_t count = 0;
  cpu_clock c;
  do {
    auto i = handshake::make({kind, role::initiator, client, server.pk, std::nullopt});
    auto r = handshake::make(
      {kind, role::responder, server, kind == pattern_kind::kk ? client.pk : public_key{},
       std::nullopt});
    if (!i || !r)
      std::abort();
    while (!i->finished() || !r->finished()) {
      auto& w = i->my_turn() ? *i : *r;
      auto& rd = i->my_turn() ? *r : *i;
      auto m = w.write_message();
      if (!m || rd.read_message(*m))
        std::abort();
    }
    auto a = i->split();
    auto b = r->split();
    if (!a || !b || a->handshake_hash() != b->handshake_hash())
      std::abort();
    ++count;
  } while (!c.spent(budget));
  double el = c.cpu();
  return {static_cast<double>(count) / el, el / static_cast<double>(count) * 1e6, count};
}

struct sides_result {
  double us_each;      ///< both sides
  double initiator_us; ///< the initiator's share
  double responder_us; ///< the responder's share
  uint64_t count;
};

/// Full handshakes timed per side. cold: the process's ss cache and
/// ephemeral pool are emptied before each; warm: the pool is refilled
/// before each (not timed) and the ss cache keeps the pair.
sides_result handshakes_by_side(pattern_kind kind, bool warm, double budget) {
  auto client = generate_keypair();
  auto server = generate_keypair();
  auto& cache = static_dh_cache::process();
  auto& pool = ephemeral_pool::process();
  double spent[2] = {0, 0}; // initiator, responder
  uint64_t count = 0;
  cpu_clock c;
  do {
    if (warm) {
      pool.refill();
    } else {
      cache.clear();
      pool.clear();
    }
    double t = thread_cpu_now();
    auto lap = [&](int side) {
      double now = thread_cpu_now();
      spent[side] += now - t;
      t = now;
    };
    auto i = handshake::make({kind, role::initiator, client, server.pk, std::nullopt});
    lap(0);
    auto r = handshake::make(
      {kind, role::responder, server, kind == pattern_kind::kk ? client.pk : public_key{},
       std::nullopt});
    lap(1);
    if (!i || !r)
      std::abort();
    while (!i->finished() || !r->finished()) {
      int writer = i->my_turn() ? 0 : 1;
      auto& w = writer == 0 ? *i : *r;
      auto& rd = writer == 0 ? *r : *i;
      auto m = w.write_message();
      lap(writer);
      if (!m || rd.read_message(*m))
        std::abort();
      lap(1 - writer);
    }
    auto a = i->split();
    lap(0);
    auto b = r->split();
    lap(1);
    if (!a || !b || a->handshake_hash() != b->handshake_hash())
      std::abort();
    ++count;
  } while (!c.spent(budget));
  auto n = static_cast<double>(count);
  return {(spent[0] + spent[1]) / n * 1e6, spent[0] / n * 1e6, spent[1] / n * 1e6, count};
}

/// CPU µs of one secp256k1 ECDH and one key generation: the floor under
/// the handshakes (XK = 6 ECDH + 2 keygens, KK = 8 ECDH + 2 keygens cold;
/// KK warm = 6 ECDH, 3 a side).
std::pair<double, double> ec_floor(double budget) {
  auto a = generate_keypair();
  auto b = generate_keypair();
  std::array<uint8_t, 32> out{};
  uint64_t n = 0;
  cpu_clock c;
  do {
    for (int i = 0; i < 32; ++i, ++n)
      if (!ecdh_into(b.pk, a.sk, out))
        std::abort();
  } while (!c.spent(budget));
  double ecdh_us = c.cpu() / static_cast<double>(n) * 1e6;
  n = 0;
  cpu_clock c2;
  do {
    for (int i = 0; i < 32; ++i, ++n)
      sink_bytes.fetch_add(generate_keypair().pk.bytes[1], std::memory_order_relaxed);
  } while (!c2.spent(budget));
  return {ecdh_us, c2.cpu() / static_cast<double>(n) * 1e6};
}

} // namespace

int main(int argc, char** argv) {
  ensure_sodium();
  if (argc > 1 && std::strcmp(argv[1], "aead") == 0)
    return aead_only();
  std::printf("crypto_bench: Skywire Noise (secp256k1 / ChaChaPoly / SHA-256), single thread, per CPU-second of this thread\n");
  // Warm up, then measure interleaved to share the same machine conditions.
  (void) noise_transport(0.2);
  (void) raw_chachapoly(0.2);
  double noise_mb = 0, raw_mb = 0;
  for (int round = 0; round < 3; ++round) {
    noise_mb += noise_transport(0.7);
    raw_mb += raw_chachapoly(0.7);
  }
  noise_mb /= 3;
  raw_mb /= 3;
  std::printf("transport 4096-byte frames (4070 B plaintext), encrypt+decrypt:\n");
  std::printf("  noise session + frame_reader : %8.1f MB/s\n", noise_mb);
  std::printf("  raw libsodium chacha20poly1305_ietf: %8.1f MB/s\n", raw_mb);
  std::printf("  ratio noise/raw              : %8.3f  (target >= 0.9; above 1 where our AVX-512 "
              "code runs: runtime/crypto/chachapoly)\n",
              noise_mb / raw_mb);
  auto xk = handshakes(pattern_kind::xk, 2.0);
  auto kk = handshakes(pattern_kind::kk, 2.0);
  std::printf("full handshakes (both sides in-process, incl. ephemeral keygen and split; ss "
              "cached after the first):\n");
  std::printf("  XK: %8.0f handshakes/s  %7.1f us each  (n=%llu; Go reference ~3800 us CPU, "
              "target < 380 us)\n",
              xk.per_second, xk.us_each, static_cast<unsigned long long>(xk.count));
  std::printf("  KK: %8.0f handshakes/s  %7.1f us each  (n=%llu)\n", kk.per_second, kk.us_each,
              static_cast<unsigned long long>(kk.count));
  std::printf("cold (ss cache and ephemeral pool emptied before each) vs warm (ss cached, pool "
              "full), CPU us; per side = a party's own work:\n");
  for (auto kind : {pattern_kind::kk, pattern_kind::xk}) {
    auto cold = handshakes_by_side(kind, false, 1.0);
    auto warm = handshakes_by_side(kind, true, 1.0);
    const char* name = kind == pattern_kind::kk ? "KK" : "XK";
    std::printf("  %s cold: %7.1f us each  initiator %6.1f  responder %6.1f  (n=%llu)\n", name,
                cold.us_each, cold.initiator_us, cold.responder_us,
                static_cast<unsigned long long>(cold.count));
    std::printf("  %s warm: %7.1f us each  initiator %6.1f  responder %6.1f  (n=%llu)\n", name,
                warm.us_each, warm.initiator_us, warm.responder_us,
                static_cast<unsigned long long>(warm.count));
  }
  auto [ecdh_us, keygen_us] = ec_floor(0.5);
  double xk_floor = 6 * ecdh_us + 2 * keygen_us;
  double kk_floor = 8 * ecdh_us + 2 * keygen_us;
  std::printf("libsecp256k1 floor: ECDH %.1f us, keygen %.1f us -> XK floor %.1f us (Noise "
              "overhead %.0f%%), KK cold floor %.1f us, KK warm floor %.1f us (%.1f a side)\n",
              ecdh_us, keygen_us, xk_floor, 100 * (xk.us_each - xk_floor) / xk.us_each, kk_floor,
              6 * ecdh_us, 3 * ecdh_us);
  return 0;
}
