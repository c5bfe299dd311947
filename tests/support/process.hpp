// Test support: temp dirs and child processes of the `skywire` binary, each
// killed (SIGKILL) and reaped by PID when the test leaves its scope, so no
// process outlives a failed check. Header-only; include from any test folder.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace skywire::test {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/sw-test-XXXXXX";
    if (auto* p = ::mkdtemp(tmpl))
      path = p;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

/// Checks `done()`, and until it holds blocks on `fd` becoming readable
/// (the event that may change the answer), `drain(fd)` after each wake-up;
/// one block lasts at most `cap`, all of it at most `limit`. With fd < 0 (no
/// such event on this kernel) it looks every 20 ms. The last answer of done().
template <class Done, class Drain>
bool wait_on_fd(int fd, std::chrono::milliseconds limit, std::chrono::milliseconds cap, Done done,
                Drain drain) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done())
      return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    if (fd < 0) {
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(20)));
      continue;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min(left, cap).count())) > 0)
      drain(fd);
  }
}

/// A child process; SIGKILLed and reaped on destruction unless it was reaped.
struct process {
  pid_t pid = -1;
  int status = 0;
  bool reaped = false;

  process() = default;
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  ~process() { kill_now(); }

  void kill_now() {
    if (pid > 0 && !reaped) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      reaped = true;
    }
  }
  /// Sends `sig` and waits up to `limit` for the exit; true when it exited.
  bool stop(int sig, std::chrono::milliseconds limit) {
    if (pid <= 0 || reaped)
      return true;
    ::kill(pid, sig);
    return wait_for(limit);
  }
  /// Waits up to `limit` for the exit: on the child's pidfd, which becomes
  /// readable when it exits (an event, not a poll); true when it exited.
  bool wait_for(std::chrono::milliseconds limit) {
    if (pid <= 0 || reaped)
      return true;
    int pfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    wait_on_fd(
      pfd, limit, limit,
      [&] {
        reaped = ::waitpid(pid, &status, WNOHANG) == pid;
        return reaped;
      },
      [](int) {});
    if (pfd >= 0)
      ::close(pfd);
    return reaped;
  }
  bool running() { return pid > 0 && !reaped && ::waitpid(pid, &status, WNOHANG) == 0; }
  int exit_code() const {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

/// How spawn() starts a child beyond its arguments.
struct spawn_options {
  /// NAME=VALUE entries that replace (or add to) this process's environment.
  std::vector<std::string> env;
  /// A process group of its own (as a shell starts a job): a signal to
  /// -pid then reaches the child and what it starts, as a terminal's Ctrl-C.
  bool own_group = false;
};

/// Starts `args[0]` with stdout and stderr appended to `log`. False on failure.
inline bool spawn(process& p, std::vector<std::string> args, const std::filesystem::path& log,
                  const spawn_options& opts = {}) {
  std::vector<char*> av;
  for (auto& a : args)
    av.push_back(a.data());
  av.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto name = kv.substr(0, kv.find('=') + 1);
    bool replaced = std::any_of(opts.env.begin(), opts.env.end(),
                                [&](const std::string& o) { return o.rfind(name, 0) == 0; });
    if (!replaced)
      env_strings.push_back(std::move(kv));
  }
  env_strings.insert(env_strings.end(), opts.env.begin(), opts.env.end());
  std::vector<char*> envp;
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (opts.own_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  int rc = posix_spawnp(&p.pid, av[0], &fa, &attr, av.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0;
}

struct run_result {
  int code = -1;
  bool timed_out = false;
  std::string out, err;
};

/// Runs `args[0]` to completion, capturing stdout and stderr; killed after `limit`.
inline run_result run(std::vector<std::string> args,
                      std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  run_result r;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    return r;
  std::vector<char*> av;
  for (auto& a : args)
    av.push_back(a.data());
  av.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  process p;
  int rc = posix_spawnp(&p.pid, av[0], &fa, nullptr, av.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    p.pid = -1;
    return r;
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  auto deadline = std::chrono::steady_clock::now() + limit;
  int open = 2;
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    if (::poll(fds, 2, 100) <= 0)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
        continue;
      char buf[8192];
      auto n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      ::close(f.fd);
  if (open > 0)
    r.timed_out = true;
  if (!p.wait_for(r.timed_out ? std::chrono::milliseconds(0) : std::chrono::seconds(10))) {
    r.timed_out = true;
    p.kill_now();
  }
  r.code = p.exit_code();
  return r;
}

/// Waits up to `limit` for process `pid` (any process, not only a child) to
/// end: its pidfd becomes readable then. True when it is gone.
inline bool wait_pid_gone(pid_t pid, std::chrono::milliseconds limit) {
  int pfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pfd < 0)
    return errno == ESRCH; // already gone (or no pidfd: said as not gone)
  pollfd p{pfd, POLLIN, 0};
  bool gone = ::poll(&p, 1, static_cast<int>(limit.count())) > 0;
  ::close(pfd);
  return gone;
}

/// Waits until `done()` holds, re-checking whenever a file in `dir` is
/// created, written, closed or renamed into it (inotify), up to `limit`. The
/// watch is set before the first check, so a write between the check and the
/// wait still wakes it. A change that makes no event in the folder (a socket
/// that starts listening after its file appeared) is seen by a look every
/// 100 ms; without inotify it looks every 20 ms.
template <class Done>
bool wait_in_dir(const std::filesystem::path& dir, std::chrono::milliseconds limit, Done done) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd >= 0
      && ::inotify_add_watch(fd, dir.c_str(),
                             IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO)
           < 0) {
    ::close(fd);
    fd = -1;
  }
  bool ok = wait_on_fd(fd, limit, std::chrono::milliseconds{100}, done, [](int f) {
    alignas(inotify_event) char buf[4096];
    while (::read(f, buf, sizeof buf) > 0) {
    }
  });
  if (fd >= 0)
    ::close(fd);
  return ok;
}

/// Waits until `path` exists and is non-empty, ending with a newline (bounded).
inline std::optional<std::string> wait_for_file(const std::filesystem::path& path,
                                                std::chrono::milliseconds limit) {
  std::string text;
  bool ok = wait_in_dir(path.parent_path(), limit, [&] {
    std::ifstream in{path};
    if (!in)
      return false;
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    return !text.empty() && text.back() == '\n';
  });
  if (!ok)
    return std::nullopt;
  return text;
}

/// Waits until the text of `path` contains `needle` (bounded).
inline bool wait_for_text(const std::filesystem::path& path, const std::string& needle,
                          std::chrono::milliseconds limit) {
  return wait_in_dir(path.parent_path(), limit, [&] {
    std::ifstream in{path};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str().find(needle) != std::string::npos;
  });
}


inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in{p};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace skywire::test
