// A child process on a pseudo-terminal, owned by one actor (dmsgpty).
//
// spawn() resolves the program on PATH, opens a pty (forkpty: the child is a
// session leader with the pty as controlling terminal), sets the window size
// and execs. The child gets the parent's environment with TERM kept, an
// empty signal mask, default signal dispositions and no inherited fds but
// 0..2. The master fd is read and written with Asio (never blocking).
//
// Reads: after start(), output is read continuously (each read, up to
// max_read bytes, is one on_data call); pause/resume give back-pressure.
// When the slave side is gone (EIO, the usual sign that the child exited)
// on_eof is called once. Writes: write() queues bytes; on_written(n) reports
// each buffer once all of it reached the pty. Callbacks run on an io thread.
//
// terminate(): closes the master (the kernel hangs up the session), sends
// SIGHUP and SIGTERM to the child's process group, SIGKILL after `grace`,
// and reaps the child (waitpid, polled on an Asio timer) so no zombie stays.
// The destructor of the last reference does the same in the background.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "messages/error.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::io {

struct pty_size {
  uint16_t rows = 0, cols = 0, x_pixels = 0, y_pixels = 0;
};

class pty_process : public std::enable_shared_from_this<pty_process> {
public:
  using byte_buffer = std::vector<uint8_t>;

  struct callbacks {
    std::function<void(byte_buffer&&)> on_data;
    std::function<void(size_t)> on_written;
    std::function<void()> on_eof;
  };

  static expected<std::shared_ptr<pty_process>> spawn(io_runtime& io, const std::string& program,
                                                      const std::vector<std::string>& args,
                                                      std::optional<pty_size> size);
  ~pty_process();

  void start(callbacks cbs, size_t max_read = 64 * 1024);
  void write(byte_buffer&& bytes);
  void pause_reading();
  void resume_reading();
  /// ioctl(TIOCSWINSZ); the kernel sends SIGWINCH to the foreground group.
  caf::error set_size(const pty_size& size);
  void terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  pid_t pid() const noexcept { return pid_; }
  /// Whether the child has been reaped.
  bool reaped() const noexcept { return reaped_; }

private:
  pty_process(io_runtime& io, int master, pid_t pid);
  void do_read();
  void do_write();
  void reap_loop(std::chrono::steady_clock::time_point kill_at, bool killed);

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::posix::stream_descriptor master_;
  boost::asio::steady_timer timer_;
  std::atomic<int> master_fd_{-1}; ///< for ioctl (any thread); -1 once closed
  pid_t pid_ = -1;
  callbacks cbs_;
  size_t max_read_ = 64 * 1024;
  byte_buffer read_buf_;
  std::deque<byte_buffer> queue_;
  bool writing_ = false, paused_ = false, reading_ = false, eof_ = false;
  bool terminating_ = false;
  std::atomic<bool> reaped_{false};
};

using pty_process_ptr = std::shared_ptr<pty_process>;

/// Reaps `pid` without blocking; true when it is gone (reaped now or before).
bool try_reap(pid_t pid);

} // namespace skywire::io
