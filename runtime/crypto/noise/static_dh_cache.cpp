#include "runtime/crypto/noise/static_dh_cache.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <sodium.h>

#include "runtime/crypto/hash.hpp"

namespace skywire::crypto::noise {

size_t static_dh_cache::key_hash::operator()(const key& k) const noexcept {
  std::array<uint8_t, 2 * public_key::size + 16> in;
  std::memcpy(in.data(), k.local.data(), public_key::size);
  std::memcpy(in.data() + public_key::size, k.remote.data(), public_key::size);
  std::memcpy(in.data() + 2 * public_key::size, k.secret_tag.data(), k.secret_tag.size());
  std::array<uint8_t, crypto_shorthash_BYTES> h;
  crypto_shorthash(h.data(), in.data(), in.size(), seed.data());
  size_t out = 0;
  std::memcpy(&out, h.data(), std::min(sizeof(out), h.size()));
  return out;
}

namespace {

template <class Hash>
Hash seeded() {
  Hash h;
  random_bytes(h.seed);
  return h;
}

} // namespace

static_dh_cache::static_dh_cache(size_t capacity)
  : slots_(capacity ? capacity : 1), index_(slots_.size() * 2, seeded<key_hash>()) {
  random_bytes(tag_key_);
}

static_dh_cache::~static_dh_cache() {
  clear();
  sodium_memzero(tag_key_.data(), tag_key_.size());
}

static_dh_cache::key static_dh_cache::make_key(const keypair& local,
                                               const public_key& remote) const noexcept {
  key k;
  k.local = local.pk;
  k.remote = remote;
  crypto_generichash(k.secret_tag.data(), k.secret_tag.size(), local.sk.data(), 32,
                     tag_key_.data(), tag_key_.size());
  return k;
}

void static_dh_cache::wipe(slot& s) noexcept {
  sodium_memzero(s.value.data(), s.value.size());
  sodium_memzero(s.k.secret_tag.data(), s.k.secret_tag.size());
  s.used = false;
  s.referenced = false;
}

bool static_dh_cache::find(const keypair& local, const public_key& remote, uint8_t* out) {
  auto k = make_key(local, remote);
  std::lock_guard<std::mutex> g{mtx_};
  auto i = index_.find(k);
  if (i == index_.end()) {
    ++stats_.misses;
    return false;
  }
  auto& s = slots_[i->second];
  s.referenced = true;
  std::memcpy(out, s.value.data(), value_len);
  ++stats_.hits;
  return true;
}

void static_dh_cache::insert(const keypair& local, const public_key& remote,
                             const uint8_t* value) {
  auto k = make_key(local, remote);
  std::lock_guard<std::mutex> g{mtx_};
  if (auto i = index_.find(k); i != index_.end()) {
    // Two threads missed at once: both computed the same bytes.
    std::memcpy(slots_[i->second].value.data(), value, value_len);
    return;
  }
  size_t at;
  if (used_ < slots_.size()) {
    at = used_++;
  } else {
    // Clock: the first entry not read since the hand last passed it.
    while (slots_[hand_].referenced) {
      slots_[hand_].referenced = false;
      hand_ = (hand_ + 1) % slots_.size();
    }
    at = hand_;
    hand_ = (hand_ + 1) % slots_.size();
    index_.erase(slots_[at].k);
    wipe(slots_[at]);
    ++stats_.evictions;
  }
  auto& s = slots_[at];
  s.k = k;
  std::memcpy(s.value.data(), value, value_len);
  s.used = true;
  s.referenced = false;
  index_.emplace(k, static_cast<uint32_t>(at));
}

void static_dh_cache::clear() {
  std::lock_guard<std::mutex> g{mtx_};
  for (size_t i = 0; i < used_; ++i)
    wipe(slots_[i]);
  index_.clear();
  used_ = 0;
  hand_ = 0;
}

size_t static_dh_cache::size() const {
  std::lock_guard<std::mutex> g{mtx_};
  return used_;
}

static_dh_cache::counters static_dh_cache::stats() const {
  std::lock_guard<std::mutex> g{mtx_};
  return stats_;
}

static_dh_cache& static_dh_cache::process() {
  // Never destroyed (a thread still handshaking during exit finds it alive);
  // its entries are wiped at exit.
  static static_dh_cache* instance = [] {
    auto* c = new static_dh_cache;
    std::atexit([] { process().clear(); });
    return c;
  }();
  return *instance;
}

} // namespace skywire::crypto::noise
