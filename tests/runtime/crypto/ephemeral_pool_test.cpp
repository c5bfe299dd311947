// ephemeral_pool: bounded, valid and distinct pairs, each handed out once,
// take() from an empty pool still works; the `e` hook of secp256k1_dh; a
// fixed ephemeral (vector tests) never touches the pool.
#include <doctest/doctest.h>

#include <set>
#include <thread>
#include <vector>

#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/ephemeral_pool.hpp"
#include "runtime/crypto/noise/handshake.hpp"

using namespace skywire;
using namespace skywire::crypto;
using namespace skywire::crypto::noise;

TEST_CASE("ephemeral_pool: refill stops at the capacity; pairs are valid and distinct") {
  ephemeral_pool pool{4};
  CHECK(pool.size() == 0);
  CHECK(pool.refill(1) == 1);
  CHECK(pool.size() == 1);
  CHECK(pool.refill() == 3);
  CHECK(pool.size() == 4);
  CHECK(pool.refill() == 0);
  CHECK(pool.size() == 4);
  std::set<public_key> seen;
  for (int i = 0; i < 4; ++i) {
    auto kp = pool.take();
    CHECK(is_valid(kp.sk));
    auto pk = derive_public_key(kp.sk);
    REQUIRE(pk);
    CHECK(*pk == kp.pk);
    CHECK(seen.insert(kp.pk).second);
  }
  CHECK(pool.size() == 0);
  auto st = pool.stats();
  CHECK(st.pooled == 4);
  CHECK(st.generated_inline == 0);
  CHECK(st.refilled == 4);
}

TEST_CASE("ephemeral_pool: take from an empty pool generates a pair") {
  ephemeral_pool pool{2};
  auto a = pool.take();
  auto b = pool.take();
  CHECK(is_valid(a.sk));
  CHECK(is_valid(b.sk));
  CHECK(a.pk != b.pk);
  CHECK(pool.stats().generated_inline == 2);
  CHECK(pool.size() == 0);
}

TEST_CASE("ephemeral_pool: clear drops every pair") {
  ephemeral_pool pool{3};
  pool.refill();
  CHECK(pool.size() == 3);
  pool.clear();
  CHECK(pool.size() == 0);
}

TEST_CASE("ephemeral_pool: concurrent refills and takes stay bounded, no pair twice") {
  ephemeral_pool pool{8};
  std::vector<std::vector<public_key>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        if (i % 2 == 0)
          pool.refill(3);
        got[t].push_back(pool.take().pk);
        CHECK(pool.size() <= pool.capacity());
      }
    });
  for (auto& th : threads)
    th.join();
  std::set<public_key> all;
  size_t n = 0;
  for (auto& g : got)
    for (auto& pk : g) {
      all.insert(pk);
      ++n;
    }
  CHECK(all.size() == n);
  CHECK(pool.size() <= pool.capacity());
}

TEST_CASE("handshakes take their ephemeral from the process pool; a fixed one is kept") {
  auto& pool = ephemeral_pool::process();
  pool.clear();
  pool.refill(1);
  auto a = generate_keypair();
  auto b = generate_keypair();
  auto before = pool.stats();
  auto i = handshake::make({pattern_kind::kk, role::initiator, a, b.pk, std::nullopt});
  REQUIRE(i);
  REQUIRE(i->write_message());
  CHECK(pool.stats().pooled == before.pooled + 1);
  CHECK(pool.size() == 0);
  // A fixed ephemeral: the pool is not asked.
  pool.refill(1);
  auto fixed = generate_keypair();
  auto j = handshake::make({pattern_kind::kk, role::initiator, a, b.pk, fixed});
  REQUIRE(j);
  auto m = j->write_message();
  REQUIRE(m);
  CHECK(pool.size() == 1);
  CHECK(pool.stats().pooled == before.pooled + 1);
  REQUIRE(m->size() >= 33);
  CHECK(std::equal(fixed.pk.bytes.begin(), fixed.pk.bytes.end(), m->begin()));
}
