// Helpers of the sudph tests: keys, running a function on the io shard, and
// a condition the shard changes while the test thread waits for it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "runtime/crypto/keys.hpp"

namespace sudph_test {

using namespace std::chrono_literals;

inline skywire::crypto::keypair key(std::string_view seed) {
  return skywire::crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

/// Runs fn on the shard and waits for it.
template <class F>
inline auto on_shard(boost::asio::io_context& ctx, F fn) {
  std::packaged_task<decltype(fn())()> task{std::move(fn)};
  auto fut = task.get_future();
  boost::asio::post(ctx, [&task] { task(); });
  return fut.get();
}

/// A condition the shard changes and the test thread waits for.
struct events {
  std::mutex mtx;
  std::condition_variable cv;

  template <class F>
  void change(F fn) {
    {
      std::lock_guard<std::mutex> g{mtx};
      fn();
    }
    cv.notify_all();
  }
  template <class P>
  bool wait(P pred, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock<std::mutex> g{mtx};
    return cv.wait_for(g, timeout, pred);
  }
};

} // namespace sudph_test
