// The replay cache of first handshake messages: a key is a replay only after
// it was inserted, within the window and the capacity; oldest keys go first.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

#include "runtime/crypto/noise/replay_cache.hpp"

using skywire::crypto::noise::replay_cache;
using namespace std::chrono_literals;

namespace {

std::array<uint8_t, 33> key(uint32_t n) {
  std::array<uint8_t, 33> k{};
  k[0] = 0x02;
  for (int i = 0; i < 4; ++i)
    k[1 + i] = static_cast<uint8_t>(n >> (8 * i));
  return k;
}

} // namespace

TEST_CASE("replay cache: seen only after insert, counted") {
  replay_cache c{16, 10min};
  auto t = replay_cache::clock::now();
  CHECK_FALSE(c.seen(key(1), t));
  c.insert(key(1), t);
  CHECK(c.seen(key(1), t));
  CHECK(c.seen(key(1), t + 1s));
  CHECK_FALSE(c.seen(key(2), t));
  CHECK(c.replays() == 2);
  c.insert(key(1), t); // again: still one entry
  CHECK(c.size() == 1);
}

TEST_CASE("replay cache: keys expire after the window") {
  replay_cache c{16, 10s};
  auto t = replay_cache::clock::now();
  c.insert(key(1), t);
  c.insert(key(2), t + 5s);
  CHECK(c.seen(key(1), t + 9s));
  CHECK_FALSE(c.seen(key(1), t + 10s));
  CHECK(c.seen(key(2), t + 10s));
  CHECK(c.size() == 1);
}

TEST_CASE("replay cache: bounded, the oldest key goes first") {
  replay_cache c{4, 10min};
  auto t = replay_cache::clock::now();
  for (uint32_t i = 0; i < 6; ++i)
    c.insert(key(i), t);
  CHECK(c.size() == 4);
  CHECK_FALSE(c.seen(key(0), t));
  CHECK_FALSE(c.seen(key(1), t));
  for (uint32_t i = 2; i < 6; ++i)
    CHECK(c.seen(key(i), t));
}

TEST_CASE("replay cache: distinct keys of one process do not collide") {
  replay_cache c{70000, 10min};
  auto t = replay_cache::clock::now();
  for (uint32_t i = 0; i < 65536; ++i)
    c.insert(key(i), t);
  CHECK(c.size() == 65536);
  uint32_t false_positives = 0;
  for (uint32_t i = 65536; i < 65536 + 4096; ++i)
    false_positives += c.seen(key(i), t) ? 1 : 0;
  CHECK(false_positives == 0);
}
