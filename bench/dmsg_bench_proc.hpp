// Process helpers of the benches (bench/dmsg_bench, bench/transport_bench):
// child processes (started here, stopped by PID on every path), their RSS and
// CPU time from /proc, the machine's load average, a bounded blocking GET of
// a server's /health on loopback.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace dmsg_bench {

// -- child processes (the dmsg server; the transport bench's peer and visor) ------------

/// The children started by start_child, by PID (0 = a free slot); read by
/// the fatal-signal handler.
inline constexpr int max_children = 8;
inline volatile sig_atomic_t child_pids[max_children] = {};

/// Stops one child (SIGTERM, then SIGKILL after 3 s) and reaps it. Idempotent.
inline void stop_child(pid_t pid) {
  if (pid <= 0)
    return;
  bool ours = false;
  for (auto& slot : child_pids)
    if (slot == pid) {
      slot = 0;
      ours = true;
    }
  if (!ours)
    return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 300; ++i) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
}

/// Stops every child still running, the latest first. Idempotent.
inline void stop_child() {
  for (int i = max_children - 1; i >= 0; --i)
    stop_child(static_cast<pid_t>(child_pids[i]));
}

/// The bench's name in its stderr lines ("dmsg_bench", ...): main sets it.
inline const char* bench_name = "bench";

/// A progress line on stderr: "[<bench>] ...".
inline void note(const std::string& s) {
  std::cerr << "[" << bench_name << "] " << s << std::endl;
}

/// Ends the bench with "<bench>: ..." on stderr, its children stopped by PID.
[[noreturn]] inline void die(const std::string& s) {
  std::cerr << bench_name << ": " << s << std::endl;
  stop_child();
  std::_Exit(1);
}

inline void on_fatal_signal(int sig) {
  for (auto& slot : child_pids) {
    pid_t pid = slot;
    if (pid > 0)
      ::kill(pid, SIGKILL);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

/// Starts `argv` with stdout to /dev/null (stdout and stderr to `log` when
/// one is named); the child gets SIGTERM if we die. -1 when no slot is free
/// or the fork failed.
inline pid_t start_child(const std::vector<std::string>& argv, const std::string& log = {}) {
  int slot = -1;
  for (int i = 0; i < max_children && slot < 0; ++i)
    if (child_pids[i] == 0)
      slot = i;
  if (slot < 0)
    return -1;
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent)
      ::_exit(127);
    int fd = log.empty() ? ::open("/dev/null", O_WRONLY)
                         : ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      if (!log.empty())
        ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  if (pid > 0) {
    static bool hooked = false;
    child_pids[slot] = pid;
    if (!hooked) {
      hooked = true;
      std::atexit([] { stop_child(); });
      ::signal(SIGINT, on_fatal_signal);
      ::signal(SIGTERM, on_fatal_signal);
      ::signal(SIGSEGV, on_fatal_signal);
      ::signal(SIGABRT, on_fatal_signal);
    }
  }
  return pid;
}

/// Whether `pid` (a child started here; by default the latest) still runs.
inline bool child_alive(pid_t pid = 0) {
  int slot = -1;
  for (int i = 0; i < max_children; ++i)
    if (child_pids[i] != 0 && (pid == 0 || child_pids[i] == pid))
      slot = i;
  if (slot < 0)
    return false;
  pid_t p = child_pids[slot];
  int st = 0;
  if (::waitpid(p, &st, WNOHANG) == p) {
    child_pids[slot] = 0;
    return false;
  }
  return true;
}

// -- /proc ------------------------------------------------------------------------------

/// A "Key:  N kB" figure of /proc/PID/status ("VmRSS:", "RssAnon:"), in
/// KiB (0 when unreadable).
inline uint64_t proc_status_kb(pid_t pid, const std::string& key) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0)
      return std::stoull(line.substr(key.size()));
  return 0;
}

/// VmRSS of `pid` in KiB (0 when unreadable).
inline uint64_t rss_kb(pid_t pid) {
  return proc_status_kb(pid, "VmRSS:");
}

inline uint64_t proc_threads(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0)
      return std::stoull(line.substr(8));
  return 0;
}

/// CPU seconds `pid` has used (every thread, user + kernel): its process CPU
/// clock (nanoseconds; /proc's utime + stime count 10 ms ticks, which made a
/// 0.3 s phase's figure move in steps of 3 %), else /proc/PID/stat.
inline double proc_cpu_s(pid_t pid) {
  clockid_t cid{};
  timespec ts{};
  if (::clock_getcpuclockid(pid, &cid) == 0 && ::clock_gettime(cid, &ts) == 0)
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto rp = text.rfind(')');
  if (rp == std::string::npos)
    return 0;
  std::istringstream ss{text.substr(rp + 2)};
  std::string tok;
  unsigned long long ut = 0, st = 0;
  // fields after comm: state(3) ... utime(14) stime(15)
  for (int field = 3; field <= 15 && ss >> tok; ++field) {
    if (field == 14)
      ut = std::stoull(tok);
    if (field == 15)
      st = std::stoull(tok);
  }
  return static_cast<double>(ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// Context switches of every thread of `pid` (voluntary + involuntary): each
/// voluntary switch is a thread going to sleep, so the difference over a
/// phase counts the wake-ups it cost.
inline uint64_t proc_ctx_switches(pid_t pid) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto& t : std::filesystem::directory_iterator{"/proc/" + std::to_string(pid) + "/task", ec}) {
    std::ifstream in{t.path() / "status"};
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
        total += std::stoull(line.substr(24));
      else if (line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        total += std::stoull(line.substr(27));
    }
  }
  return total;
}

/// One figure of a Prometheus text body ("name value" line), or -1.
inline double prom_value(const std::string& body, const std::string& name) {
  std::istringstream in{body};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0)
      return std::stod(line.substr(name.size() + 1));
  return -1;
}

/// User + system CPU of this process in seconds.
inline double self_cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/// The p-th percentile (nearest rank) of `v`; NaN when empty.
inline double pct(std::vector<double> v, double p) {
  if (v.empty())
    return NAN;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - 1;
  return v[std::min(idx, v.size() - 1)];
}

inline std::string loadavg() {
  std::ifstream in{"/proc/loadavg"};
  std::string a, b, c;
  in >> a >> b >> c;
  return a + "/" + b + "/" + c;
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit.
inline uint64_t raise_nofile() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

/// A loopback TCP port that was free a moment ago (0 on failure).
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
    port = ntohs(sa.sin_port);
  ::close(fd);
  return port;
}

// -- a bounded blocking HTTP GET on 127.0.0.1 -------------------------------------------

/// GET `path` from 127.0.0.1:`port`; the body, or nullopt on any failure or
/// after `timeout`. Bodies are capped at 64 KiB.
inline std::optional<std::string> http_get(uint16_t port, const std::string& path,
                                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return std::nullopt;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return std::nullopt;
  }
  std::string resp;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    if (left <= 0 || resp.size() > 64 * 1024) {
      ::close(fd);
      return std::nullopt;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0)
      continue;
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0)
      break;
    resp.append(buf, static_cast<size_t>(n));
    // Content-Length framing: stop once the body is complete.
    auto he = resp.find("\r\n\r\n");
    auto cl = resp.find("Content-Length:");
    if (cl == std::string::npos)
      cl = resp.find("content-length:");
    if (he != std::string::npos && cl != std::string::npos && cl < he) {
      auto len = std::stoull(resp.substr(cl + 15));
      if (resp.size() >= he + 4 + len)
        break;
    }
  }
  ::close(fd);
  auto he = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.1 200", 0) != 0 || he == std::string::npos)
    return std::nullopt;
  return resp.substr(he + 4);
}

} // namespace dmsg_bench
