// Test support: a small internet of network namespaces, two homes behind
// their own NAT routers, made by the test and always torn down (RAII, also
// when a check fails). Root only; `ip` (iproute2) and `nft` (nftables).
//
//   home A 192.168.1.2 ── 192.168.1.1 router A 198.51.100.2 ─┐
//                                                            public 198.51.100.1, 203.0.113.1
//   home B 192.168.2.2 ── 192.168.2.1 router B 203.0.113.2 ──┘   services on 192.0.2.1, 192.0.2.2
//
// The "public" namespace routes between the two routers and holds the
// services' addresses (192.0.2.1 and 192.0.2.2, on its loopback device).
// Every public-looking address is from the documentation ranges (RFC 5737),
// every home address private; no interface is in the test's own namespace,
// so no traffic leaves the topology.
//
// A router masquerades its home's traffic behind its public address and
// drops what comes in from the public side unless conntrack knows it as a
// reply (a home router's firewall). The NAT kinds:
//   cone       `masquerade`: the source port is kept (when free), so a home
//              socket has one public mapping for every destination
//              (endpoint-independent mapping); inbound only from the
//              endpoints it sent to (address- and port-dependent
//              filtering): a "port-restricted cone" in RFC 3489's words.
//   symmetric  `masquerade random`: each destination gets its own random
//              public port (address- and port-dependent mapping).
// The drop of unsolicited input also matters to hole punching: without it
// the kernel would confirm a conntrack entry for a peer's early punch to the
// router itself, and the home's own punch toward that peer would then be
// mapped to another port (the tuple is taken).
//
// Names are unique per run ("swnt<pid>-<n>-<role>"); namespaces left by a
// test process that died (its pid gone) are deleted by the next topology.
// Header-only (every .cpp under tests/ is a test binary).
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace skywire::test::netns {

enum class nat_kind { cone, symmetric };

inline const char* to_string(nat_kind k) { return k == nat_kind::cone ? "cone" : "symmetric"; }

/// Why namespaces with NAT cannot be made here (not root, no `ip` or
/// `nft`); nothing when they can.
inline std::optional<std::string> unavailable() {
  if (::geteuid() != 0)
    return "not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)";
  if (run({"ip", "-V"}, std::chrono::seconds(10)).code != 0)
    return "`ip` (iproute2) is not installed";
  if (run({"nft", "--version"}, std::chrono::seconds(10)).code != 0)
    return "`nft` (nftables) is not installed";
  return std::nullopt;
}

/// True when the namespace tests may run; else reports why they are
/// skipped, or fails under CI=true (CI runs as root with the packages of
/// scripts/install-deps.sh, where nothing may skip). Call from a test case.
#define SKYWIRE_REQUIRE_NETNS()                                                              \
  [] {                                                                                       \
    auto why = ::skywire::test::netns::unavailable();                                        \
    if (!why)                                                                                \
      return true;                                                                           \
    if (std::getenv("CI"))                                                                   \
      FAIL("network namespace tests must run in CI: " << *why);                              \
    MESSAGE("skipped: " << *why);                                                            \
    return false;                                                                            \
  }()

/// Enters the network namespace `name` on this thread (sockets opened
/// meanwhile belong to it for good) and goes back on destruction.
class scoped_enter {
public:
  explicit scoped_enter(const std::string& name) {
    self_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    ok_ = self_ >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0;
    if (target >= 0)
      ::close(target);
  }
  ~scoped_enter() {
    if (ok_ && ::setns(self_, CLONE_NEWNET) != 0)
      std::abort(); // the thread would stay in a namespace about to vanish
    if (self_ >= 0)
      ::close(self_);
  }
  scoped_enter(const scoped_enter&) = delete;
  scoped_enter& operator=(const scoped_enter&) = delete;
  bool ok() const noexcept { return ok_; }

private:
  int self_ = -1;
  bool ok_ = false;
};

class topology {
public:
  struct site {
    std::string home;        ///< namespace of the home host
    std::string router;      ///< namespace of its NAT router
    std::string home_ip;     ///< the host's private address
    std::string public_ip;   ///< the router's public address (the NAT's)
    nat_kind nat = nat_kind::cone;
  };

  /// The services' two addresses in the public namespace (a STUN server
  /// needs two).
  static constexpr const char* service_ip = "192.0.2.1";
  static constexpr const char* service_ip2 = "192.0.2.2";

  std::string pub; ///< namespace of the public internet
  site a, b;

  topology(nat_kind nat_a, nat_kind nat_b) {
    sweep_stale();
    static std::atomic<int> seq{0};
    prefix_ = "swnt" + std::to_string(::getpid()) + "-" + std::to_string(seq++) + "-";
    pub = prefix_ + "pub";
    a = {prefix_ + "ha", prefix_ + "ra", "192.168.1.2", "198.51.100.2", nat_a};
    b = {prefix_ + "hb", prefix_ + "rb", "192.168.2.2", "203.0.113.2", nat_b};
    error_ = build();
  }
  ~topology() { teardown(); }
  topology(const topology&) = delete;
  topology& operator=(const topology&) = delete;

  /// Empty when the topology is up; else the command that failed and its output.
  const std::string& error() const noexcept { return error_; }

  /// `args` run inside namespace `ns` (for spawn() and run()).
  static std::vector<std::string> in(const std::string& ns, std::vector<std::string> args) {
    std::vector<std::string> out{"ip", "netns", "exec", ns};
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }

  /// The ruleset of a router (for failure messages).
  std::string ruleset(const site& s) const {
    return run(in(s.router, {"nft", "list", "ruleset"}), std::chrono::seconds(10)).out;
  }

private:
  std::string prefix_;
  std::string error_;
  std::vector<std::string> made_; ///< namespaces to delete
  temp_dir tmp_;                  ///< nft rule files

  /// Runs a command; on failure returns its text and output.
  static std::string sh(std::vector<std::string> args) {
    auto r = run(args, std::chrono::seconds(20));
    if (r.code == 0 && !r.timed_out)
      return {};
    std::string text;
    for (auto& x : args)
      text += (text.empty() ? "" : " ") + x;
    return text + ": exit " + std::to_string(r.code) + (r.timed_out ? " (timed out) " : " ")
           + r.err + r.out;
  }

  std::string add_ns(const std::string& name) {
    if (auto e = sh({"ip", "netns", "add", name}); !e.empty())
      return e;
    made_.push_back(name);
    return sh({"ip", "-n", name, "link", "set", "lo", "up"});
  }

  /// A veth pair between two namespaces, addressed and up.
  static std::string link(const std::string& ns1, const std::string& if1, const std::string& cidr1,
                          const std::string& ns2, const std::string& if2,
                          const std::string& cidr2) {
    for (auto& cmd : std::vector<std::vector<std::string>>{
           {"ip", "-n", ns1, "link", "add", if1, "type", "veth", "peer", "name", if2, "netns", ns2},
           {"ip", "-n", ns1, "addr", "add", cidr1, "dev", if1},
           {"ip", "-n", ns2, "addr", "add", cidr2, "dev", if2},
           {"ip", "-n", ns1, "link", "set", if1, "up"},
           {"ip", "-n", ns2, "link", "set", if2, "up"}})
      if (auto e = sh(cmd); !e.empty())
        return e;
    return {};
  }

  static std::string forwarding(const std::string& ns) {
    return sh(in(ns, {"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"}));
  }

  std::string router_rules(const site& s) {
    auto file = tmp_.path / (s.router + ".nft");
    std::ofstream{file} << "table ip nat {\n"
                           "  chain postrouting {\n"
                           "    type nat hook postrouting priority srcnat; policy accept;\n"
                           "    oifname \"wan\" masquerade"
                        << (s.nat == nat_kind::symmetric ? " random" : "")
                        << "\n"
                           "  }\n"
                           "}\n"
                           "table inet firewall {\n"
                           "  chain input {\n"
                           "    type filter hook input priority filter; policy accept;\n"
                           "    iifname \"wan\" ct state established,related accept\n"
                           "    iifname \"wan\" drop\n"
                           "  }\n"
                           "  chain forward {\n"
                           "    type filter hook forward priority filter; policy accept;\n"
                           "    iifname \"wan\" ct state established,related accept\n"
                           "    iifname \"wan\" drop\n"
                           "  }\n"
                           "}\n";
    return sh(in(s.router, {"nft", "-f", file.string()}));
  }

  std::string build() {
    if (tmp_.path.empty())
      return "no temporary directory";
    for (auto* ns : {&pub, &a.router, &b.router, &a.home, &b.home})
      if (auto e = add_ns(*ns); !e.empty())
        return e;
    for (auto ip : {service_ip, service_ip2})
      if (auto e = sh({"ip", "-n", pub, "addr", "add", std::string{ip} + "/32", "dev", "lo"});
          !e.empty())
        return e;
    struct wiring {
      site* s;
      const char* pub_if;
      const char* pub_cidr;
      const char* gateway;
      const char* lan_cidr;
      const char* lan_gateway;
    };
    for (auto w : {wiring{&a, "to-a", "198.51.100.1/24", "198.51.100.1", "192.168.1.1/24",
                          "192.168.1.1"},
                   wiring{&b, "to-b", "203.0.113.1/24", "203.0.113.1", "192.168.2.1/24",
                          "192.168.2.1"}}) {
      auto& s = *w.s;
      for (auto e : {link(pub, w.pub_if, w.pub_cidr, s.router, "wan", s.public_ip + "/24"),
                     link(s.router, "lan", w.lan_cidr, s.home, "eth0", s.home_ip + "/24"),
                     sh({"ip", "-n", s.router, "route", "add", "default", "via", w.gateway}),
                     sh({"ip", "-n", s.home, "route", "add", "default", "via", w.lan_gateway}),
                     forwarding(s.router), router_rules(s)})
        if (!e.empty())
          return e;
    }
    return forwarding(pub);
  }

  void teardown() {
    // processes a test left in its namespaces (it should have stopped them)
    for (auto& ns : made_) {
      auto r = run({"ip", "netns", "pids", ns}, std::chrono::seconds(10));
      std::istringstream in{r.out};
      for (long pid; in >> pid;)
        if (pid > 1 && pid != ::getpid())
          ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
    for (auto it = made_.rbegin(); it != made_.rend(); ++it)
      run({"ip", "netns", "del", *it}, std::chrono::seconds(10));
    made_.clear();
  }

  /// Deletes namespaces of earlier runs whose process is gone.
  static void sweep_stale() {
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator{"/run/netns", ec}) {
      auto name = e.path().filename().string();
      if (name.rfind("swnt", 0) != 0)
        continue;
      auto dash = name.find('-');
      if (dash == std::string::npos)
        continue;
      auto pid = std::atol(name.substr(4, dash - 4).c_str());
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
        run({"ip", "netns", "del", name}, std::chrono::seconds(10));
    }
  }
};

} // namespace skywire::test::netns
