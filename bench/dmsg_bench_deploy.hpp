// What the dmsg benches share about the deployment they measure: finding
// the `skywire` binary, reading the info file `skywire dmsg local` writes,
// configuring a bench client against it, and printing figures.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <boost/json.hpp>

#include "actors/dmsg/client.hpp"
#include "bench/dmsg_bench_proc.hpp"
#include "messages/wire/dmsg/discovery_entry.hpp"
#include "runtime/crypto/keys.hpp"

namespace dmsg_bench {

inline std::string fmt(double x, int prec = 2) {
  if (std::isnan(x))
    return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, x);
  return buf;
}

/// `given`, else `skywire` next to this binary or one folder up; empty if none.
inline std::string find_skywire(const std::string& given) {
  namespace fs = std::filesystem;
  if (!given.empty())
    return given;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return {};
  for (auto cand : {exe.parent_path() / "skywire", exe.parent_path().parent_path() / "skywire"})
    if (fs::exists(cand, ec))
      return cand.string();
  return {};
}

/// Where `skywire dmsg local --info-file` put its services.
struct deployment {
  std::string discovery;
  uint16_t disc_port = 0;
  skywire::public_key server_pk;
  std::string server_address;
  uint16_t server_port = 0;
  uint16_t health_port = 0;
};

inline uint16_t port_of(const std::string& host_port) {
  return static_cast<uint16_t>(std::stoi(host_port.substr(host_port.rfind(':') + 1)));
}

/// The info file, or nullopt if it is not what `dmsg local` writes.
inline std::optional<deployment> read_info(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(ss.str(), ec);
  if (ec || !v.is_object())
    return std::nullopt;
  try {
    deployment d;
    auto& o = v.as_object();
    d.discovery = boost::json::value_to<std::string>(o.at("discovery"));
    d.disc_port = port_of(d.discovery);
    auto& s = o.at("servers").as_array().at(0).as_object();
    auto pk = skywire::public_key::from_hex(boost::json::value_to<std::string>(s.at("pk")));
    if (!pk)
      return std::nullopt;
    d.server_pk = *pk;
    d.server_address = boost::json::value_to<std::string>(s.at("address"));
    d.server_port = port_of(d.server_address);
    d.health_port = port_of(boost::json::value_to<std::string>(s.at("health")));
    return d;
  } catch (const std::exception&) { // a missing key or a bad number (start-up only)
    return std::nullopt;
  }
}

/// A fresh key and one session; with_discovery: the deployment's discovery,
/// else the server given directly (no lookup, no entry of its own).
inline skywire::dmsg::client_config base_client(const deployment& d, bool with_discovery,
                                                int backoff_initial_ms, int backoff_max_ms) {
  namespace wd = skywire::wire::dmsg;
  skywire::dmsg::client_config c;
  auto kp = skywire::crypto::generate_keypair();
  c.pk = kp.pk;
  c.sk = kp.sk;
  c.sessions_count = 1;
  c.discovery_timeout = std::chrono::seconds(5);
  c.backoff_initial_ms = backoff_initial_ms;
  c.backoff_max_ms = backoff_max_ms;
  if (with_discovery) {
    c.discovery_url = d.discovery;
  } else {
    c.discovery_url.clear();
    c.register_entry = false;
    wd::entry e;
    e.version = std::string{wd::entry_version};
    e.static_pk = d.server_pk;
    e.server = wd::server_part{d.server_address, 2048, {}};
    c.servers.push_back(std::move(e));
  }
  return c;
}

/// The deployment `skywire dmsg local` describes in its info file (the bench
/// ends when it cannot be read).
inline deployment load_info(const std::string& path) {
  auto d = read_info(path);
  if (!d)
    die("bad info file " + path);
  return *d;
}

} // namespace dmsg_bench
