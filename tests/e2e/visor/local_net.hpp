// The local network of the visor e2e tests that need routes: `skywire svc
// local` (dmsg discovery and server, transport discovery, address resolver,
// route finder, setup node) on loopback, visors made to use it (stcp on an
// ephemeral port, each naming the next one in its pk_table; the service
// discovery and uptime tracker of svc local), and the waits
// until routes can be set up between them. Every process is stopped by PID.
#pragma once

#include <csignal>

#include "tests/e2e/visor/visor_procs.hpp"

namespace e2e_visor {

struct local_net {
  skywire::test::temp_dir tmp;
  process services;
  json::object info;

  local_net() {
    REQUIRE(!tmp.path.empty());
    auto info_file = tmp.path / "services.json";
    REQUIRE(skywire::test::spawn(services,
                                 {binary, "svc", "local", "--ephemeral", "--info-file",
                                  info_file.string()},
                                 tmp.path / "services.log"));
    REQUIRE_MESSAGE(eventually([&] { return fs::exists(info_file); }, 15s),
                    skywire::test::read_text(tmp.path / "services.log"));
    info = json::parse(skywire::test::read_text(info_file)).as_object();
  }
  ~local_net() { services.stop(SIGTERM, 10s); }

  std::string url(const char* k) const { return std::string{info.at(k).as_string()}; }
  uint16_t url_port(const char* k) const {
    return static_cast<uint16_t>(std::stoi(url(k).substr(sizeof("http://127.0.0.1:") - 1)));
  }

  /// A visor whose every service URL points at the local services, with
  /// the local setup node whitelisted and stcp on an ephemeral port;
  /// `next` (if any) in its stcp pk_table; `edit` changes the rest.
  void make(visor_proc& v, const std::string& name, const visor_proc* next = nullptr,
            uint16_t next_port = 0, const std::function<void(json::object&)>& edit = {}) {
    make_visor(v, tmp.path, name, [&](json::object& c) {
      c["dmsg"].as_object()["discovery"] = url("dmsg_discovery");
      c["dmsg"].as_object()["sessions_count"] = 1;
      auto& t = c["transport"].as_object();
      t["discovery"] = url("transport_discovery");
      t["address_resolver"] = url("address_resolver");
      // skysocks registers with this service discovery, the heartbeat goes
      // to this tracker (none to a service of someone else on the default ports)
      c["launcher"].as_object()["service_discovery"] = url("service_discovery");
      c["uptime_tracker"] = json::object{{"addr", url("uptime_tracker")}};
      auto& r = c["routing"].as_object();
      r["route_finder"] = url("route_finder");
      r["route_setup_nodes"] = json::array{info.at("setup_node")};
      auto& stcp = c["skywire-tcp"].as_object();
      stcp["listening_address"] = "127.0.0.1:0";
      if (next)
        stcp["pk_table"] = json::object{{next->pk, "127.0.0.1:" + std::to_string(next_port)}};
      if (edit)
        edit(c);
    });
  }

  /// The stcp port the visor listens on.
  static uint16_t stcp_port(visor_proc& v) {
    return port_from_log(v.log, "transport listener up", "type=stcp addr=127\\.0\\.0\\.1:(\\d+)");
  }

  /// Returns once each visor's dmsg discovery entry names the server, and
  /// the setup node's too (the setup node reaches the visors' gateways over
  /// dmsg, the visors dial it there).
  void await_dmsg(std::initializer_list<visor_proc*> visors) {
    auto server = std::string{info.at("dmsg_servers").as_array()[0].at("pk").as_string()};
    auto disc = url_port("dmsg_discovery");
    for (auto* v : visors)
      REQUIRE_MESSAGE(eventually(
                        [&] {
                          return http_get(disc, "/dmsg-discovery/entry/" + v->pk).find(server)
                                 != std::string::npos;
                        },
                        15s),
                      skywire::test::read_text(v->log));
    std::string sn{info.at("setup_node").as_string()};
    REQUIRE(eventually(
      [&] {
        return http_get(disc, "/dmsg-discovery/entry/" + sn).find(server) != std::string::npos;
      },
      15s));
  }

  /// An stcp transport from `from` to `to`, up and in the transport
  /// discovery; returns its id.
  std::string add_transport(const visor_proc& from, const visor_proc& to) {
    auto t = call_json(from, {"tp", "add", to.pk, "-t", "stcp"}).as_object();
    REQUIRE(t["state"] == "up");
    std::string id{t["id"].as_string()};
    REQUIRE(eventually(
      [&] { return http_get(url_port("transport_discovery"), "/all-transports").find(id)
                   != std::string::npos; },
      10s));
    return id;
  }

  /// Returns once the route finder finds a path of at least `hops` hops.
  void await_route(const visor_proc& from, const visor_proc& to, int hops = 1) {
    REQUIRE(eventually(
      [&] {
        return cli({"cli", "rtfind", from.pk, to.pk, "-n", std::to_string(hops), "-a",
                    url("route_finder")})
                 .code
               == 0;
      },
      10s));
  }

  std::string logs(std::initializer_list<const visor_proc*> visors) const {
    std::string out;
    for (const auto* v : visors)
      out += "\n" + v->dir.filename().string() + ":\n" + skywire::test::read_text(v->log);
    return out + "\nservices:\n" + skywire::test::read_text(tmp.path / "services.log");
  }
};

} // namespace e2e_visor
