// The process's io shards: N Boost.Asio io_contexts, each run by exactly one
// thread (ARCHITECTURE §3). A socket and everything that parses it lives on
// one shard: its handlers never run on two threads at once, so the per-frame
// path needs no lock against other sockets' work. Connections are spread over
// the shards (next_context(), round robin); acceptors, timers and the HTTP
// services use shard 0 (context()). Completions reach actors with
// caf::anon_send; actors reach an I/O object with asio::post.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace skywire::io {

class io_runtime {
public:
  /// Starts `shards` io threads, one io_context each (at least one).
  explicit io_runtime(unsigned shards = 1);
  ~io_runtime(); ///< stops the contexts and joins the threads

  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  /// Shard 0: acceptors, timers, HTTP.
  boost::asio::io_context& context() noexcept { return shards_.front()->ctx; }
  boost::asio::io_context::executor_type executor() noexcept { return context().get_executor(); }

  /// The shard for a new connection (round robin).
  boost::asio::io_context& next_context() noexcept;

  /// The shard whose thread calls (nullptr off the shards): an engine running
  /// on a shard opens its sockets on the same shard, so their callbacks and
  /// the engine share one thread (no hand-over per chunk).
  static boost::asio::io_context* this_shard() noexcept;

  size_t shards() const noexcept { return shards_.size(); }

  /// Stops the loops and joins the threads (idempotent).
  void stop();

private:
  struct shard {
    shard() : guard(ctx.get_executor()) {}
    boost::asio::io_context ctx{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
    std::thread thread;
  };
  std::vector<std::unique_ptr<shard>> shards_;
  std::atomic<size_t> next_{0};
};

using io_runtime_ptr = std::shared_ptr<io_runtime>;

/// Shards to use when the configuration says 0: one per core.
unsigned default_shards() noexcept;

} // namespace skywire::io
