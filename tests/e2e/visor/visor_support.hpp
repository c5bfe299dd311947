// For the stcpr end-to-end tests, on top of visor_procs.hpp: a generated
// config to edit before writing it, the log counters of a transport, and a
// raw TCP client for hostile bytes on a listener at any address.
#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "tests/e2e/visor/visor_procs.hpp"
#include "tests/support/e2e_helpers.hpp"

namespace skywire::test::visor_e2e {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

using e2e_visor::binary;
using e2e_visor::call_json;
using e2e_visor::cli;
using e2e_visor::tp_ls;
using e2e_visor::visor_proc;
using skywire::test::eventually;

/// `cli config gen --local` for a visor in dir/name; the config as JSON (not
/// written yet: write_config after editing it).
inline json::object gen_config(visor_proc& v, const fs::path& dir, const std::string& name) {
  v.dir = dir / name;
  fs::create_directories(v.dir);
  v.config = v.dir / "skywire-config.json";
  v.log = v.dir / "visor.log";
  auto r = cli({"cli", "config", "gen", "--local", "-o", v.config.string(), "--local-path",
                (v.dir / "local").string()});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  auto c = json::parse(read_text(v.config)).as_object();
  v.pk = std::string{c["pk"].as_string()};
  v.rpc = "unix://" + (v.dir / "local" / "cli.sock").string();
  return c;
}

inline void write_config(const visor_proc& v, const json::object& c) {
  auto tmpfile = v.config;
  tmpfile += ".tmp";
  std::ofstream{tmpfile} << json::serialize(c);
  fs::rename(tmpfile, v.config);
}

inline uint64_t log_field(const json::value& s, const char* k) {
  return s.as_object().at("log").as_object().at(k).to_number<uint64_t>();
}

/// A raw TCP client of a listener, for hostile bytes.
struct raw_client {
  int fd = -1;
  explicit raw_client(uint16_t port, const char* host = "127.0.0.1") {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    REQUIRE(::inet_pton(AF_INET, host, &sa.sin_addr) == 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  }
  ~raw_client() {
    if (fd >= 0)
      ::close(fd);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;
  void send(std::string_view s) const {
    CHECK(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
  }
  /// What arrives until a newline, the peer's close or `limit`.
  std::string read_line(std::chrono::milliseconds limit) const {
    std::string in;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (in.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0)
        continue;
      char buf[512];
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0)
        break;
      in.append(buf, static_cast<size_t>(n));
    }
    return in;
  }
  /// Reads until the peer closes (true) or `limit` passes (false).
  bool closed_within(std::chrono::milliseconds limit) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0)
        continue;
      char buf[512];
      if (::recv(fd, buf, sizeof(buf), 0) <= 0)
        return true;
    }
    return false;
  }
};

} // namespace skywire::test::visor_e2e
