#include "runtime/crypto/noise/ephemeral_pool.hpp"

#include <cstdlib>
#include <utility>

#include <unistd.h>

namespace skywire::crypto::noise {

ephemeral_pool::ephemeral_pool(size_t capacity) : capacity_(capacity), owner_(::getpid()) {
  keys_.reserve(capacity_);
}

void ephemeral_pool::forget_foreign_locked() {
  auto pid = ::getpid();
  if (pid == owner_)
    return;
  // A forked child must not reuse its parent's ephemerals.
  keys_.clear();
  owner_ = pid;
}

keypair ephemeral_pool::take() {
  {
    std::lock_guard<std::mutex> g{mtx_};
    forget_foreign_locked();
    if (!keys_.empty()) {
      keypair kp = keys_.back(); // the pooled copy is wiped by pop_back
      keys_.pop_back();
      ++stats_.pooled;
      return kp;
    }
    ++stats_.generated_inline;
  }
  return generate_keypair();
}

size_t ephemeral_pool::refill(size_t max_new) {
  size_t added = 0;
  while (added < max_new) {
    {
      std::lock_guard<std::mutex> g{mtx_};
      forget_foreign_locked();
      if (keys_.size() + pending_ >= capacity_)
        break;
      ++pending_;
    }
    auto kp = generate_keypair();
    std::lock_guard<std::mutex> g{mtx_};
    --pending_;
    if (keys_.size() < capacity_) {
      keys_.push_back(std::move(kp));
      ++stats_.refilled;
      ++added;
    }
  }
  return added;
}

void ephemeral_pool::clear() {
  std::lock_guard<std::mutex> g{mtx_};
  keys_.clear();
}

size_t ephemeral_pool::size() const {
  std::lock_guard<std::mutex> g{mtx_};
  return keys_.size();
}

ephemeral_pool::counters ephemeral_pool::stats() const {
  std::lock_guard<std::mutex> g{mtx_};
  return stats_;
}

ephemeral_pool& ephemeral_pool::process() {
  // Never destroyed (a thread still handshaking during exit finds it alive);
  // its pairs are wiped at exit.
  static ephemeral_pool* instance = [] {
    auto* p = new ephemeral_pool;
    std::atexit([] { process().clear(); });
    return p;
  }();
  return *instance;
}

} // namespace skywire::crypto::noise
