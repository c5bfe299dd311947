#include "runtime/io/pty_process.hpp"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

extern char** environ;

namespace skywire::io {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

bool executable(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// exec.LookPath: a name with a '/' is used as is, others are searched on PATH.
std::optional<std::string> look_path(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return executable(name) ? std::optional<std::string>{name} : std::nullopt;
  const char* env = std::getenv("PATH");
  std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find(':', start);
    if (end == std::string::npos)
      end = path.size();
    auto dir = path.substr(start, end - start);
    auto cand = (dir.empty() ? std::string{"."} : dir) + "/" + name;
    if (executable(cand))
      return cand;
    start = end + 1;
  }
  return std::nullopt;
}

} // namespace

bool try_reap(pid_t pid) {
  if (pid <= 0)
    return true;
  int status = 0;
  auto r = ::waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

expected<std::shared_ptr<pty_process>> pty_process::spawn(io_runtime& io,
                                                          const std::string& program,
                                                          const std::vector<std::string>& args,
                                                          std::optional<pty_size> size) {
  auto path = look_path(program);
  if (!path)
    return make_error(wire_errc::bad_value, "exec: \"" + program + "\": executable file not found");
  // everything the child needs is prepared before fork (only async-signal-safe
  // calls happen between fork and exec)
  std::vector<std::string> argv_store;
  argv_store.push_back(program);
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  winsize ws{};
  if (size) {
    ws.ws_row = size->rows;
    ws.ws_col = size->cols;
    ws.ws_xpixel = size->x_pixels;
    ws.ws_ypixel = size->y_pixels;
  }
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, size ? &ws : nullptr);
  if (pid < 0)
    return make_error(wire_errc::unsupported, std::string{"forkpty: "} + std::strerror(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
      ::signal(sig, SIG_DFL);
    ::close_range(3, ~0U, 0);
    ::execve(path->c_str(), argv.data(), environ);
    ::_exit(127);
  }
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  return std::shared_ptr<pty_process>(new pty_process(io, master, pid));
}

pty_process::pty_process(io_runtime& io, int master, pid_t pid)
  : strand_(asio::make_strand(io.context())), master_(strand_, master), timer_(strand_),
    master_fd_(master), pid_(pid) {
  error_code ec;
  master_.non_blocking(true, ec);
}

pty_process::~pty_process() {
  // last reference gone without terminate(): hang up and reap in a detached way
  if (!reaped_ && pid_ > 0) {
    ::kill(-pid_, SIGHUP);
    ::kill(pid_, SIGKILL);
    if (!try_reap(pid_)) {
      // a child killed by SIGKILL is reapable at once; wait briefly for it
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
}

void pty_process::start(callbacks cbs, size_t max_read) {
  asio::post(strand_, [self = shared_from_this(), cbs = std::move(cbs), max_read]() mutable {
    self->cbs_ = std::move(cbs);
    self->max_read_ = max_read == 0 ? 1 : max_read;
    self->do_read();
  });
}

void pty_process::do_read() {
  if (eof_ || paused_ || reading_ || !master_.is_open())
    return;
  reading_ = true;
  read_buf_.resize(max_read_);
  master_.async_read_some(
    asio::buffer(read_buf_), [self = shared_from_this()](const error_code& ec, size_t n) {
      self->reading_ = false;
      if (ec == asio::error::operation_aborted && !self->master_.is_open())
        return;
      if (ec || n == 0) {
        // EIO: the slave side closed (the child and its children are gone)
        if (!self->eof_) {
          self->eof_ = true;
          if (self->cbs_.on_eof)
            self->cbs_.on_eof();
        }
        return;
      }
      byte_buffer out(self->read_buf_.begin(), self->read_buf_.begin() + static_cast<long>(n));
      if (self->cbs_.on_data)
        self->cbs_.on_data(std::move(out));
      self->do_read();
    });
}

void pty_process::write(byte_buffer&& bytes) {
  asio::post(strand_, [self = shared_from_this(), b = std::move(bytes)]() mutable {
    self->queue_.push_back(std::move(b));
    self->do_write();
  });
}

void pty_process::do_write() {
  if (writing_ || queue_.empty())
    return;
  if (!master_.is_open()) {
    // the pty is gone: report the bytes as written so callers do not hang
    while (!queue_.empty()) {
      auto n = queue_.front().size();
      queue_.pop_front();
      if (cbs_.on_written)
        cbs_.on_written(n);
    }
    return;
  }
  writing_ = true;
  asio::async_write(master_, asio::buffer(queue_.front()),
                    [self = shared_from_this()](const error_code&, size_t) {
                      self->writing_ = false;
                      auto n = self->queue_.front().size();
                      self->queue_.pop_front();
                      if (self->cbs_.on_written)
                        self->cbs_.on_written(n);
                      self->do_write();
                    });
}

void pty_process::pause_reading() {
  asio::post(strand_, [self = shared_from_this()] { self->paused_ = true; });
}

void pty_process::resume_reading() {
  asio::post(strand_, [self = shared_from_this()] {
    self->paused_ = false;
    self->do_read();
  });
}

caf::error pty_process::set_size(const pty_size& size) {
  winsize ws{};
  ws.ws_row = size.rows;
  ws.ws_col = size.cols;
  ws.ws_xpixel = size.x_pixels;
  ws.ws_ypixel = size.y_pixels;
  // master_fd_ is only closed on the strand after terminate(); an ioctl on a
  // closed fd just fails
  int fd = master_fd_.load();
  if (fd < 0 || ::ioctl(fd, TIOCSWINSZ, &ws) != 0)
    return make_error(wire_errc::bad_value, "no active pty session");
  return {};
}

void pty_process::terminate(std::chrono::milliseconds grace) {
  asio::post(strand_, [self = shared_from_this(), grace] {
    if (self->terminating_)
      return;
    self->terminating_ = true;
    error_code ec;
    self->master_fd_ = -1;
    self->master_.close(ec);
    if (self->pid_ > 0) {
      ::kill(-self->pid_, SIGHUP);
      ::kill(-self->pid_, SIGTERM);
      ::kill(self->pid_, SIGTERM);
    }
    self->reap_loop(std::chrono::steady_clock::now() + grace, false);
  });
}

void pty_process::reap_loop(std::chrono::steady_clock::time_point kill_at, bool killed) {
  if (try_reap(pid_)) {
    reaped_ = true;
    return;
  }
  if (!killed && std::chrono::steady_clock::now() >= kill_at) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    killed = true;
  }
  timer_.expires_after(std::chrono::milliseconds(20));
  timer_.async_wait([self = shared_from_this(), kill_at, killed](const error_code&) {
    self->reap_loop(kill_at, killed);
  });
}

} // namespace skywire::io
