#include "runtime/io/io_runtime.hpp"

#include <pthread.h>

#include <string>

namespace skywire::io {

namespace {
thread_local boost::asio::io_context* current_shard = nullptr;
} // namespace

boost::asio::io_context* io_runtime::this_shard() noexcept {
  return current_shard;
}

io_runtime::io_runtime(unsigned n) {
  if (n == 0)
    n = 1;
  shards_.reserve(n);
  for (unsigned i = 0; i < n; ++i)
    shards_.push_back(std::make_unique<shard>());
  for (unsigned i = 0; i < n; ++i) {
    auto* p = shards_[i].get();
    p->thread = std::thread([p, i] {
      // "io.shard<i>" in top -H, perf and /proc/PID/task/*/comm
      auto name = "io.shard" + std::to_string(i);
      ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
      current_shard = &p->ctx;
      p->ctx.run();
    });
  }
}

io_runtime::~io_runtime() {
  stop();
}

boost::asio::io_context& io_runtime::next_context() noexcept {
  auto i = next_.fetch_add(1, std::memory_order_relaxed);
  return shards_[i % shards_.size()]->ctx;
}

void io_runtime::stop() {
  for (auto& s : shards_) {
    s->guard.reset();
    s->ctx.stop();
  }
  for (auto& s : shards_)
    if (s->thread.joinable() && s->thread.get_id() != std::this_thread::get_id())
      s->thread.join();
}

unsigned default_shards() noexcept {
  auto n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

} // namespace skywire::io
