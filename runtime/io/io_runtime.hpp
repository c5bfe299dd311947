// The process's Boost.Asio event loop: one io_context run by a small pool of
// threads. Every socket, acceptor, timer and the TUN device lives on it. An I/O
// object is owned by exactly one actor; completions reach the actor with
// caf::anon_send, and the actor reaches the I/O object with asio::post.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace skywire::io {

class io_runtime {
public:
  /// Starts `threads` threads running the context (at least one).
  explicit io_runtime(unsigned threads = 1);
  ~io_runtime(); ///< stops the context and joins the threads

  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  boost::asio::io_context& context() noexcept { return ctx_; }
  boost::asio::io_context::executor_type executor() noexcept { return ctx_.get_executor(); }

  /// Stops the loop and joins the threads (idempotent).
  void stop();

private:
  boost::asio::io_context ctx_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

using io_runtime_ptr = std::shared_ptr<io_runtime>;

} // namespace skywire::io
