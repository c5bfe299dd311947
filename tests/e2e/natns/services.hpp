// The services of the NAT-namespace tests, as `skywire svc …` processes in
// the topology's public namespace (tests/support/netns.hpp), on its service
// addresses: a STUN server on both of them, the address resolver (HTTP and
// its sudph UDP side on one port, as the visors' URL names it) and the
// transport discovery. Each is killed by PID when its owner goes.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"
#include "tests/support/build_paths.hpp"

namespace natns_test {

inline const std::string binary = SKYWIRE_BINARY;

inline constexpr uint16_t stun_port = 3478;
inline constexpr uint16_t stun_other_port = 3479;
inline constexpr uint16_t tpd_port = 9091;
inline constexpr uint16_t ar_port = 9093;

inline std::string service_addr(uint16_t port) {
  return std::string{skywire::test::netns::topology::service_ip} + ":" + std::to_string(port);
}
inline std::string service_url(uint16_t port) { return "http://" + service_addr(port); }

struct service {
  skywire::test::process p;
  std::filesystem::path log;
};

/// Starts `skywire args…` in the public namespace; returns once its log shows `ready`.
inline void start_service(service& s, const skywire::test::netns::topology& t,
                          const std::filesystem::path& dir, const std::string& name,
                          std::vector<std::string> args, const std::string& ready) {
  s.log = dir / (name + ".log");
  args.insert(args.begin(), binary);
  REQUIRE(skywire::test::spawn(s.p, skywire::test::netns::topology::in(t.pub, std::move(args)),
                               s.log));
  REQUIRE_MESSAGE(skywire::test::wait_for_text(s.log, ready, std::chrono::seconds(10)),
                  skywire::test::read_text(s.log));
}

inline void start_stun(service& s, const skywire::test::netns::topology& t,
                       const std::filesystem::path& dir) {
  start_service(s, t, dir, "stun",
                {"svc", "stun", "-a", service_addr(stun_port), "--other",
                 std::string{skywire::test::netns::topology::service_ip2} + ":"
                   + std::to_string(stun_other_port)},
                "stun server listening");
}

/// Not in test mode: the homes' private addresses are never handed out.
inline void start_ar(service& s, const skywire::test::netns::topology& t,
                     const std::filesystem::path& dir) {
  start_service(s, t, dir, "ar",
                {"svc", "ar", "-a", service_addr(ar_port), "--udp-addr", service_addr(ar_port)},
                "address resolver listening");
}

inline void start_tpd(service& s, const skywire::test::netns::topology& t,
                      const std::filesystem::path& dir) {
  start_service(s, t, dir, "tpd", {"svc", "tpd", "-a", service_addr(tpd_port)},
                "transport discovery listening");
}

} // namespace natns_test
