// static_dh_cache: hits and misses, the capacity bound under clock eviction,
// the same bytes as an uncached DH, a key pair with a foreign public key, and
// use from several threads at once; then the `ss` hook of secp256k1_dh.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/crypto/noise/primitives.hpp"
#include "runtime/crypto/noise/static_dh_cache.hpp"

using namespace skywire;
using namespace skywire::crypto;
using namespace skywire::crypto::noise;

namespace {

using dh_bytes = std::array<uint8_t, static_dh_cache::value_len>;

dh_bytes uncached(const keypair& local, const public_key& remote) {
  dh_bytes out{};
  REQUIRE(secp256k1_dh::dh(local, remote, out.data()));
  return out;
}

std::vector<keypair> keypairs(size_t n) {
  std::vector<keypair> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(generate_keypair());
  return out;
}

} // namespace

TEST_CASE("static_dh_cache: a miss, then a hit with the bytes of the DH") {
  static_dh_cache cache{4};
  auto a = generate_keypair();
  auto b = generate_keypair();
  dh_bytes out{};
  CHECK_FALSE(cache.find(a, b.pk, out.data()));
  auto want = uncached(a, b.pk);
  cache.insert(a, b.pk, want.data());
  CHECK(cache.size() == 1);
  REQUIRE(cache.find(a, b.pk, out.data()));
  CHECK(out == want);
  // The other direction is another key (and the same DH value, by ECDH).
  CHECK_FALSE(cache.find(b, a.pk, out.data()));
  CHECK(uncached(b, a.pk) == want);
  auto st = cache.stats();
  CHECK(st.hits == 1);
  CHECK(st.misses == 2);
  cache.clear();
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.find(a, b.pk, out.data()));
}

TEST_CASE("static_dh_cache: a pair whose public key is not its secret's misses") {
  static_dh_cache cache{4};
  auto a = generate_keypair();
  auto b = generate_keypair();
  auto want = uncached(a, b.pk);
  cache.insert(a, b.pk, want.data());
  keypair forged{a.pk, generate_keypair().sk};
  dh_bytes out{};
  CHECK_FALSE(cache.find(forged, b.pk, out.data()));
}

TEST_CASE("static_dh_cache: never more than its capacity; clock keeps what is read") {
  constexpr size_t cap = 8;
  static_dh_cache cache{cap};
  CHECK(cache.capacity() == cap);
  auto local = generate_keypair();
  auto remotes = keypairs(3 * cap);
  std::vector<dh_bytes> want;
  for (auto& r : remotes)
    want.push_back(uncached(local, r.pk));
  dh_bytes out{};
  // Fill, then read the first entry: it has its second chance.
  for (size_t i = 0; i < cap; ++i)
    cache.insert(local, remotes[i].pk, want[i].data());
  CHECK(cache.size() == cap);
  REQUIRE(cache.find(local, remotes[0].pk, out.data()));
  for (size_t i = cap; i < remotes.size(); ++i) {
    cache.insert(local, remotes[i].pk, want[i].data());
    CHECK(cache.size() == cap);
    (void) cache.find(local, remotes[0].pk, out.data()); // kept hot
  }
  CHECK(cache.stats().evictions == 2 * cap);
  REQUIRE(cache.find(local, remotes[0].pk, out.data()));
  CHECK(out == want[0]);
  // Whatever is still there has the bytes of the DH.
  size_t present = 0;
  for (size_t i = 0; i < remotes.size(); ++i)
    if (cache.find(local, remotes[i].pk, out.data())) {
      ++present;
      CHECK(out == want[i]);
    }
  CHECK(present == cap);
}

TEST_CASE("static_dh_cache: threads looking up and inserting at once see DH bytes only") {
  static_dh_cache cache{16};
  auto locals = keypairs(2);
  auto remotes = keypairs(12); // 24 pairs for 16 slots: evictions under contention
  std::vector<dh_bytes> want;
  for (auto& l : locals)
    for (auto& r : remotes)
      want.push_back(uncached(l, r.pk));
  std::atomic<int> wrong{0};
  std::atomic<int> hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 300; ++round) {
        size_t i = static_cast<size_t>(round * 7 + t * 5) % want.size();
        auto& l = locals[i / remotes.size()];
        auto& r = remotes[i % remotes.size()];
        dh_bytes out{};
        if (cache.find(l, r.pk, out.data())) {
          hits.fetch_add(1);
          if (out != want[i])
            wrong.fetch_add(1);
        } else {
          cache.insert(l, r.pk, want[i].data());
        }
      }
    });
  for (auto& th : threads)
    th.join();
  CHECK(wrong.load() == 0);
  CHECK(hits.load() > 0);
  CHECK(cache.size() <= cache.capacity());
}

TEST_CASE("secp256k1_dh::static_dh: the bytes of dh(), twice, through the process cache") {
  auto a = generate_keypair();
  auto b = generate_keypair();
  auto want = uncached(a, b.pk);
  auto before = static_dh_cache::process().stats();
  dh_bytes first{}, second{};
  REQUIRE(secp256k1_dh::static_dh(a, b.pk, first.data()));
  REQUIRE(secp256k1_dh::static_dh(a, b.pk, second.data()));
  CHECK(first == want);
  CHECK(second == want);
  auto after = static_dh_cache::process().stats();
  CHECK(after.hits >= before.hits + 1);
  // An invalid remote key fails, cached or not.
  public_key bad{};
  CHECK_FALSE(secp256k1_dh::static_dh(a, bad, first.data()));
}

TEST_CASE("KK with a warm ss cache gives the keys of a cold one") {
  auto a = generate_keypair();
  auto b = generate_keypair();
  auto ea = generate_keypair();
  auto eb = generate_keypair();
  auto run = [&] {
    auto i = handshake::make({pattern_kind::kk, role::initiator, a, b.pk, ea});
    auto r = handshake::make({pattern_kind::kk, role::responder, b, a.pk, eb});
    REQUIRE(i);
    REQUIRE(r);
    auto m1 = i->write_message();
    REQUIRE(m1);
    REQUIRE_FALSE(r->read_message(*m1));
    auto m2 = r->write_message();
    REQUIRE(m2);
    REQUIRE_FALSE(i->read_message(*m2));
    return std::make_pair(*m1, i->split_keys_for_tests());
  };
  static_dh_cache::process().clear();
  auto cold = run();
  auto warm = run();
  CHECK(cold.first == warm.first);
  CHECK(cold.second == warm.second);
}
