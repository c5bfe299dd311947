#include "cli/dmsgpty_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "messages/wire/dmsgpty/pty_types.hpp"
#include "messages/wire/dmsgpty/request.hpp"

namespace skywire::cli {

namespace wp = wire::dmsgpty;
using wire::gob::value;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr size_t read_chunk = 32 * 1024; // what the reference CLI asks per Read

caf::error sys_error(const std::string& what) {
  return make_error(wire_errc::bad_value, what + ": " + std::strerror(errno));
}

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    auto w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN) {
        pollfd pf{fd, POLLOUT, 0};
        ::poll(&pf, 1, 1000);
        continue;
      }
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

} // namespace

dmsgpty_connection::~dmsgpty_connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

caf::error dmsgpty_connection::open(const std::string& path, const std::string& uri,
                                    std::chrono::milliseconds timeout) {
  auto req = wp::encode_request(uri);
  if (!req)
    return req.error();
  sockaddr_un sa{};
  if (path.size() >= sizeof(sa.sun_path))
    return make_error(wire_errc::bad_value, "CLI socket path too long: " + path);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    return sys_error("socket");
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
    return sys_error("failed to connect to dmsgpty host at unix:" + path);
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  if (!write_all(fd_, req->data(), req->size()))
    return sys_error("write request");
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    pollfd pf{fd_, POLLIN, 0};
    int r = ::poll(&pf, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0)
      return make_error(wire_errc::truncated, "the dmsgpty host did not answer the request in time");
    uint8_t answer = 0;
    auto n = ::read(fd_, &answer, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0)
      return make_error(wire_errc::truncated, "the dmsgpty host closed the connection");
    if (answer != wp::accept_byte)
      return make_error(wire_errc::bad_value, "request rejected by the dmsgpty host");
    return {};
  }
}

expected<uint64_t> dmsgpty_connection::call(const std::string& method,
                                            const wire::gob::schema_ptr& s, const value& arg) {
  std::vector<uint8_t> out;
  auto seq = seq_++;
  if (auto err = codec_.write_request({method, seq}, s, arg, out))
    return err;
  if (!write_all(fd_, out.data(), out.size()))
    return sys_error("write to the dmsgpty host");
  return seq;
}

bool dmsgpty_connection::pump() {
  uint8_t buf[64 * 1024];
  for (;;) {
    auto n = ::read(fd_, buf, sizeof(buf));
    if (n > 0) {
      codec_.feed({buf, static_cast<size_t>(n)});
      if (static_cast<size_t>(n) < sizeof(buf))
        return true;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return true;
    return false;
  }
}

expected<std::optional<wire::rpc::inbound_response>>
dmsgpty_connection::next(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto r = codec_.next_response();
    if (!r || *r)
      return r;
    pollfd pf{fd_, POLLIN, 0};
    int p = ::poll(&pf, 1, remaining_ms(deadline));
    if (p < 0 && errno == EINTR)
      continue;
    if (p == 0)
      return std::optional<wire::rpc::inbound_response>{};
    if (!pump())
      return make_error(wire_errc::truncated, "the dmsgpty host closed the connection");
  }
}

expected<wire::rpc::inbound_response>
dmsgpty_connection::call_and_wait(const std::string& method, const wire::gob::schema_ptr& s,
                                  const value& arg, std::chrono::milliseconds timeout) {
  auto seq = call(method, s, arg);
  if (!seq)
    return seq.error();
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto r = next(std::chrono::milliseconds(remaining_ms(deadline)));
    if (!r)
      return r.error();
    if (!*r)
      return make_error(wire_errc::truncated, method + ": no answer in time");
    if ((*r)->header.seq != *seq)
      continue;
    if (!(*r)->header.error.empty())
      return make_error(wire_errc::bad_value, (*r)->header.error);
    return std::move(**r);
  }
}

// ---- the interactive client -------------------------------------------------

namespace {

/// Raw mode on a terminal stdin for the lifetime of the object.
class raw_terminal {
public:
  raw_terminal() {
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      ::cfmakeraw(&raw);
      active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
  }
  ~raw_terminal() {
    if (active_)
      ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  raw_terminal(const raw_terminal&) = delete;
  raw_terminal& operator=(const raw_terminal&) = delete;

private:
  termios saved_{};
  bool active_ = false;
};

std::optional<wp::win_size> terminal_size() {
  winsize ws{};
  if (!::isatty(STDIN_FILENO) || ::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0)
    return std::nullopt;
  return wp::win_size{ws.ws_xpixel, ws.ws_ypixel, ws.ws_row, ws.ws_col};
}

/// SIGWINCH, SIGINT, SIGTERM, SIGHUP as a readable fd (blocked otherwise);
/// the old mask comes back on destruction.
class signal_fd {
public:
  signal_fd() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGWINCH, SIGINT, SIGTERM, SIGHUP})
      sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, &old_);
    fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  }
  ~signal_fd() {
    if (fd_ >= 0)
      ::close(fd_);
    ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  signal_fd(const signal_fd&) = delete;
  signal_fd& operator=(const signal_fd&) = delete;
  int fd() const { return fd_; }
  /// The next pending signal, 0 when none.
  int take() {
    signalfd_siginfo si{};
    if (fd_ >= 0 && ::read(fd_, &si, sizeof(si)) == sizeof(si))
      return static_cast<int>(si.ssi_signo);
    return 0;
  }

private:
  int fd_ = -1;
  sigset_t old_{};
};

} // namespace

namespace {

// What failed, in words: the error's own text (this file's errors all carry
// one), else describe().
std::string user_text(const caf::error& err) {
  const auto& ctx = err.context();
  if (!ctx.empty() && ctx.match_element<std::string>(0) && !ctx.get_as<std::string>(0).empty())
    return ctx.get_as<std::string>(0);
  return describe(err);
}

} // namespace

int run_pty_cli(const std::string& argv0, const pty_cli_options& opts) {
  using namespace std::chrono_literals;
  const bool tty = ::isatty(STDIN_FILENO);
  std::string uri = opts.remote ? wp::proxy_request_uri(*opts.remote) : std::string{wp::pty_uri};
  dmsgpty_connection conn;
  if (auto err = conn.open(opts.cli_path, uri, opts.connect_timeout)) {
    std::cerr << argv0 << ": " << user_text(err);
    if (opts.remote)
      std::cerr << " (is " << opts.remote->pk.hex()
                << " up, and does its whitelist hold this host's key?)";
    std::cerr << '\n';
    // curl's codes: 28 no answer in time, 7 could not connect or refused
    return err.code() == static_cast<uint8_t>(wire_errc::truncated)
               && user_text(err).find("in time") != std::string::npos
             ? 28
             : 7;
  }
  wp::command_req cmd{opts.cmd, opts.args, std::nullopt};
  if (opts.size)
    cmd.size = wp::win_size{0, 0, opts.size->first, opts.size->second};
  else
    cmd.size = terminal_size();
  auto started = conn.call_and_wait("pty.Start", wp::command_req_schema(),
                                    wp::command_req_value(cmd), 30s);
  if (!started) {
    std::cerr << argv0 << ": failed to start command on pty: " << user_text(started.error())
              << '\n';
    return 1;
  }
  // a proxying reference host drops Start's size: send it again
  if (cmd.size)
    (void)conn.call("pty.SetPtySize", wp::win_size_schema(), wp::win_size_value(*cmd.size));

  signal_fd sigs;
  raw_terminal raw;
  std::optional<uint64_t> read_seq, write_seq;
  bool stdin_open = true;
  auto send_read = [&] {
    auto s = conn.call("pty.Read", wp::int_schema(), value::of_int(read_chunk));
    if (s)
      read_seq = *s;
    return static_cast<bool>(s);
  };
  auto send_write = [&](std::vector<uint8_t> bytes) {
    auto s = conn.call("pty.Write", wp::bytes_schema(), value::of_bytes(std::move(bytes)));
    if (s)
      write_seq = *s;
  };
  if (!send_read()) {
    std::cerr << argv0 << ": lost the dmsgpty host\n";
    return 1;
  }
  int rc = -1;
  while (rc < 0) {
    pollfd fds[3] = {{conn.fd(), POLLIN, 0},
                     {sigs.fd(), POLLIN, 0},
                     {stdin_open && !write_seq ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      for (int sig = sigs.take(); sig != 0 && rc < 0; sig = sigs.take()) {
        if (sig == SIGWINCH) {
          if (auto ws = terminal_size())
            (void)conn.call("pty.SetPtySize", wp::win_size_schema(), wp::win_size_value(*ws));
        } else {
          (void)conn.call("pty.Stop", wp::empty_schema(), wp::empty_value());
          rc = 128 + sig;
        }
      }
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      std::vector<uint8_t> buf(read_chunk);
      auto n = ::read(STDIN_FILENO, buf.data(), buf.size());
      if (n > 0) {
        buf.resize(static_cast<size_t>(n));
        send_write(std::move(buf));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stdin_open = false;
        // end of piped input: the pty's EOF character, so a shell or cat
        // reading the terminal sees end of input too
        if (!tty)
          send_write({0x04});
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      bool alive = conn.pump();
      for (;;) {
        auto r = conn.next(0ms);
        if (!r) {
          std::cerr << argv0 << ": " << user_text(r.error()) << '\n';
          rc = 1;
          break;
        }
        if (!*r)
          break;
        auto& resp = **r;
        if (read_seq && resp.header.seq == *read_seq) {
          read_seq.reset();
          if (!resp.header.error.empty()) {
            // the end of the command: "EOF" from our host, the pty's EIO
            // ("read /dev/ptmx: input/output error") from a reference host
            bool end = resp.header.error == "EOF"
                       || resp.header.error.find("input/output error") != std::string::npos;
            if (!end)
              std::cerr << "\r\n" << argv0 << ": read: " << resp.header.error << '\n';
            rc = end ? 0 : 1;
            break;
          }
          auto bytes = wp::bytes_from_gob(resp.reply, 16u << 20);
          if (bytes && !bytes->empty() && !write_all(STDOUT_FILENO, bytes->data(), bytes->size())) {
            rc = 1;
            break;
          }
          if (!send_read()) {
            rc = 1;
            break;
          }
        } else if (write_seq && resp.header.seq == *write_seq) {
          write_seq.reset();
          if (!resp.header.error.empty())
            stdin_open = false;
        }
      }
      if (rc < 0 && !alive) {
        std::cerr << argv0 << ": the dmsgpty host closed the connection\n";
        rc = 1;
      }
    }
  }
  return rc < 0 ? 1 : rc;
}

} // namespace skywire::cli
