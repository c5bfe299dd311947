// Test support: network namespaces the test creates itself (root only), so
// that traffic goes to addresses inside them and nowhere else.
//
//  - netns_unavailable(): why namespaces cannot be made here ("" when they
//    can): not root, no `ip` or `nsenter`, unshare refused. A test skips
//    with that text, except under CI=true, where it fails (CI runs as root).
//  - thread_netns: the calling thread enters a fresh namespace (lo up) and
//    goes back to the one it came from on destruction. Children spawned
//    from this thread, sockets it opens and threads it starts live there:
//    the test's "hub", where the services run.
//  - netns_node: one more namespace, held by a child process (forked,
//    unshared, paused) that is SIGKILLed by PID on destruction; the
//    namespace ends with it. exec() prefixes a command with nsenter so
//    that it runs inside (nsenter execs it: the PID is the command's).
//  - wire_to_bridge(): a veth pair from a node's namespace to a bridge in
//    the hub, the node's end given an address.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace skywire::test {

/// Runs a command (bounded); its output on failure.
inline std::string run_checked(std::vector<std::string> args) {
  auto r = run(args, std::chrono::seconds{10});
  if (r.code == 0 && !r.timed_out)
    return {};
  std::string cmd;
  for (const auto& a : args)
    cmd += a + " ";
  return cmd + "-> " + std::to_string(r.code) + ": " + r.err + r.out;
}

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string{ci} == "true";
}

inline std::string netns_unavailable() {
  if (::geteuid() != 0)
    return "network namespaces need root (this test runs as uid " + std::to_string(::geteuid())
           + ")";
  for (const char* tool : {"ip", "nsenter"})
    if (run({"sh", "-c", std::string{"command -v "} + tool}, std::chrono::seconds{5}).code != 0)
      return std::string{"no `"} + tool + "` (iproute2 / util-linux) on this host";
  if (run({"unshare", "-n", "true"}, std::chrono::seconds{5}).code != 0)
    return "unshare(CLONE_NEWNET) refused here (a container without CAP_SYS_ADMIN?)";
  return {};
}

class thread_netns {
public:
  thread_netns() {
    saved_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (saved_ < 0) {
      error_ = "cannot open /proc/thread-self/ns/net";
      return;
    }
    if (::unshare(CLONE_NEWNET) != 0) {
      error_ = "unshare(CLONE_NEWNET) failed";
      return;
    }
    entered_ = true;
    error_ = run_checked({"ip", "link", "set", "lo", "up"});
  }
  ~thread_netns() {
    if (entered_)
      static_cast<void>(::setns(saved_, CLONE_NEWNET));
    if (saved_ >= 0)
      ::close(saved_);
  }
  thread_netns(const thread_netns&) = delete;
  thread_netns& operator=(const thread_netns&) = delete;
  /// "" when the thread is in its fresh namespace.
  const std::string& error() const noexcept { return error_; }

private:
  int saved_ = -1;
  bool entered_ = false;
  std::string error_;
};

class netns_node {
public:
  netns_node() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
      error_ = "pipe";
      return;
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      // only async-signal-safe calls here
      char ok = ::unshare(CLONE_NEWNET) == 0 ? '1' : '0';
      static_cast<void>(::write(p[1], &ok, 1));
      for (;;)
        ::pause();
    }
    ::close(p[1]);
    if (pid < 0) {
      ::close(p[0]);
      error_ = "fork";
      return;
    }
    holder_.pid = pid;
    char ok = 0;
    ssize_t n = -1;
    pollfd w{p[0], POLLIN, 0};
    if (::poll(&w, 1, 10'000) == 1) // the child's word: its namespace is there
      n = ::read(p[0], &ok, 1);
    ::close(p[0]);
    if (n != 1 || ok != '1') {
      error_ = "the namespace holder could not unshare";
      return;
    }
    path_ = "/proc/" + std::to_string(pid) + "/ns/net";
    error_ = run_checked(exec({"ip", "link", "set", "lo", "up"}));
  }
  netns_node(const netns_node&) = delete;
  netns_node& operator=(const netns_node&) = delete;

  const std::string& error() const noexcept { return error_; }
  pid_t holder_pid() const noexcept { return holder_.pid; }

  /// `args` run inside this namespace.
  std::vector<std::string> exec(std::vector<std::string> args) const {
    args.insert(args.begin(), {"nsenter", "--net=" + path_, "--"});
    return args;
  }

private:
  process holder_; ///< SIGKILLed and reaped on destruction
  std::string path_;
  std::string error_;
};

/// In the hub: a bridge `br` with `hub_cidr` ("192.0.2.254/24"), up.
inline std::string make_bridge(const std::string& br, const std::string& hub_cidr) {
  for (auto cmd : std::vector<std::vector<std::string>>{
         {"ip", "link", "add", br, "type", "bridge"},
         {"ip", "addr", "add", hub_cidr, "dev", br},
         {"ip", "link", "set", br, "up"}})
    if (auto e = run_checked(cmd); !e.empty())
      return e;
  return {};
}

/// A veth pair `name` (in the node, with `cidr`) <-> `name`-h (in the hub,
/// enslaved to `br`), both up.
inline std::string wire_to_bridge(const netns_node& node, const std::string& name,
                                  const std::string& cidr, const std::string& br) {
  auto hub_end = name + "h";
  for (auto cmd : std::vector<std::vector<std::string>>{
         {"ip", "link", "add", name, "type", "veth", "peer", "name", hub_end},
         {"ip", "link", "set", name, "netns", std::to_string(node.holder_pid())},
         {"ip", "link", "set", hub_end, "master", br},
         {"ip", "link", "set", hub_end, "up"},
         node.exec({"ip", "addr", "add", cidr, "dev", name}),
         node.exec({"ip", "link", "set", name, "up"})})
    if (auto e = run_checked(cmd); !e.empty())
      return e;
  return {};
}

} // namespace skywire::test
