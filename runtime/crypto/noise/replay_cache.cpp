#include "runtime/crypto/noise/replay_cache.hpp"

#include <sodium.h>

namespace skywire::crypto::noise {

replay_cache::replay_cache(size_t capacity, std::chrono::nanoseconds window)
  : capacity_(capacity == 0 ? 1 : capacity), window_(window) {
  static_assert(crypto_shorthash_KEYBYTES == 16 && crypto_shorthash_BYTES == 8);
  randombytes_buf(hash_key_.data(), hash_key_.size());
  set_.reserve(capacity_);
}

uint64_t replay_cache::hash(std::span<const uint8_t> key) const {
  uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, key.data(), key.size(), hash_key_.data());
  uint64_t h = 0;
  for (int i = 7; i >= 0; --i)
    h = h << 8 | out[i];
  return h;
}

void replay_cache::expire_locked(clock::time_point now) {
  while (!order_.empty() && (order_.size() > capacity_ || now - order_.front().at >= window_)) {
    set_.erase(order_.front().h);
    order_.pop_front();
  }
}

bool replay_cache::seen(std::span<const uint8_t> key, clock::time_point now) {
  auto h = hash(key);
  std::lock_guard<std::mutex> g{mtx_};
  expire_locked(now);
  if (set_.count(h) == 0)
    return false;
  ++replays_;
  return true;
}

void replay_cache::insert(std::span<const uint8_t> key, clock::time_point now) {
  auto h = hash(key);
  std::lock_guard<std::mutex> g{mtx_};
  if (!set_.insert(h).second)
    return;
  order_.push_back({h, now});
  expire_locked(now); // over capacity: the oldest goes
}

size_t replay_cache::size() const {
  std::lock_guard<std::mutex> g{mtx_};
  return set_.size();
}

uint64_t replay_cache::replays() const {
  std::lock_guard<std::mutex> g{mtx_};
  return replays_;
}

replay_cache& replay_cache::process() {
  static replay_cache instance;
  return instance;
}

} // namespace skywire::crypto::noise
