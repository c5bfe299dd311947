// A 2-hop route between three visor processes on loopback (issue 10's
// end-to-end case): `skywire svc local` (dmsg discovery and server,
// transport discovery, address resolver, route finder, setup node), visors
// A, B and C with transports A-B and B-C only, then `cli visor ping C --min-hops 2` on A: the route
// finder answers A->B->C, the setup node installs the rules (B holds
// intermediary rules only), the route group's handshake runs through B, and
// the echoes come back over the route. Every process is stopped by PID.
// The transports are stcp (each visor's pk_table names the next one's
// listener): what this test checks is the route, not how transports come up.
#include <doctest/doctest.h>

#include <csignal>

#include "tests/e2e/visor/visor_procs.hpp"

using namespace e2e_visor;

namespace {

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

  /// A visor whose every service URL points at the local services, with
  /// the local setup node whitelisted and stcp on an ephemeral port;
  /// `next` (if any) in its stcp pk_table.
  void make(visor_proc& v, const std::string& name, const visor_proc* next = nullptr,
            uint16_t next_port = 0) {
    make_visor(v, tmp.path, name, [&](json::object& c) {
      c["dmsg"].as_object()["discovery"] = url("dmsg_discovery");
      c["dmsg"].as_object()["sessions_count"] = 1;
      auto& t = c["transport"].as_object();
      t["discovery"] = url("transport_discovery");
      t["address_resolver"] = url("address_resolver");
      auto& r = c["routing"].as_object();
      r["route_finder"] = url("route_finder");
      r["route_setup_nodes"] = json::array{info.at("setup_node")};
      auto& stcp = c["skywire-tcp"].as_object();
      stcp["listening_address"] = "127.0.0.1:0";
      if (next)
        stcp["pk_table"] = json::object{{next->pk, "127.0.0.1:" + std::to_string(next_port)}};
    });
  }
};

} // namespace

TEST_CASE("routing e2e: a 2-hop route A-B-C between three visor processes carries data both ways") {
  local_net net;
  visor_proc a, b, c;
  // C, then B (dials C), then A (dials B): each knows the next one's stcp port
  auto stcp_port = [](visor_proc& v) {
    return port_from_log(v.log, "transport listener up",
                         "type=stcp addr=127\\.0\\.0\\.1:(\\d+)");
  };
  net.make(c, "c");
  start_visor(c, "visor started");
  net.make(b, "b", &c, stcp_port(c));
  start_visor(b, "visor started");
  net.make(a, "a", &b, stcp_port(b));
  start_visor(a, "visor started");
  // each visor's dmsg session is up and its discovery entry names the
  // server (the setup node reaches the visors' gateways over dmsg)
  auto server = std::string{net.info.at("dmsg_servers").as_array()[0].at("pk").as_string()};
  auto disc_port =
    static_cast<uint16_t>(std::stoi(net.url("dmsg_discovery").substr(sizeof("http://127.0.0.1:") - 1)));
  for (auto* v : {&a, &b, &c})
    REQUIRE_MESSAGE(eventually(
                      [&] {
                        return http_get(disc_port, "/dmsg-discovery/entry/" + v->pk).find(server)
                               != std::string::npos;
                      },
                      15s),
                    skywire::test::read_text(v->log));
  // and the setup node's (the visors dial it there)
  std::string sn{net.info.at("setup_node").as_string()};
  REQUIRE(eventually(
    [&] {
      return http_get(disc_port, "/dmsg-discovery/entry/" + sn).find(server) != std::string::npos;
    },
    15s));
  // transports A-B and B-C only
  auto ab = call_json(a, {"tp", "add", b.pk, "-t", "stcp"}).as_object();
  REQUIRE(ab["state"] == "up");
  auto bc = call_json(b, {"tp", "add", c.pk, "-t", "stcp"}).as_object();
  REQUIRE(bc["state"] == "up");
  // both registered in the transport discovery (the route finder's graph)
  REQUIRE(eventually(
    [&] {
      auto all = http_get(static_cast<uint16_t>(std::stoi(
                            net.url("transport_discovery").substr(sizeof("http://127.0.0.1:") - 1))),
                          "/all-transports");
      return all.find(std::string{ab["id"].as_string()}) != std::string::npos
             && all.find(std::string{bc["id"].as_string()}) != std::string::npos;
    },
    10s));

  // the route finder's graph has them (it refreshes every second here)
  REQUIRE(eventually(
    [&] {
      return cli({"cli", "rtfind", a.pk, c.pk, "-n", "2", "-a", net.url("route_finder")}).code
             == 0;
    },
    10s));

  // A pings C over a route of at least 2 hops: A -> B -> C and back
  auto r = cli({"cli", "visor", "ping", c.pk, "-n", "5", "-s", "1000", "--min-hops", "2", "--json",
                "--rpc", a.rpc});
  REQUIRE_MESSAGE(r.code == 0, r.err, "\nA:\n", skywire::test::read_text(a.log), "\nB:\n",
                  skywire::test::read_text(b.log), "\nC:\n", skywire::test::read_text(c.log),
                  "\nservices:\n", skywire::test::read_text(net.tmp.path / "services.log"));
  auto p = json::parse(r.out).as_object();
  CHECK(p["rtt_us"].as_array().size() == 5);
  CHECK(p["min_us"].to_number<int64_t>() > 0);
  // A and C made no transport to each other: the route went through B
  for (const auto& t : tp_ls(a))
    CHECK(t.as_object().at("remote_pk") != c.pk.c_str());

  // `visor speed`: 8 MiB through B to C's speed port, acknowledged by C's sink
  auto sp = call_json(a, {"speed", c.pk, "--mib", "8", "--min-hops", "2"}).as_object();
  CHECK(sp["bytes"].to_number<uint64_t>() == 8u * 1024 * 1024);
  CHECK(sp["mb_s"].to_number<double>() > 0);
  CHECK(sp["setup_ms"].to_number<double>() > 0);

  // `visor route ls`: while a long ping runs (1000 echoes of 64 KiB, one at a
  // time), A lists its route to C's port 48 as dialed, C lists it as accepted
  // from A; B, a relay, has none
  process pinger;
  REQUIRE(skywire::test::spawn(pinger,
                               {binary, "cli", "visor", "ping", c.pk, "-n", "1000", "-s", "65536",
                                "--min-hops", "2", "--rpc", a.rpc},
                               net.tmp.path / "ping.log"));
  auto listed = [](const visor_proc& v, const std::string& remote, const char* side,
                   int64_t remote_port) {
    auto r = cli({"cli", "visor", "route", "ls", "--json", "--rpc", v.rpc});
    if (r.code != 0)
      return false;
    auto list = json::parse(r.out);
    for (const auto& g : list.as_array()) {
      const auto& o = g.as_object();
      if (o.at("remote") == remote.c_str() && o.at("side") == side
          && o.at("phase") == "established" && o.at("reliable") == true
          && o.at("remote_port").to_number<int64_t>() == remote_port)
        return true;
    }
    return false;
  };
  CHECK(eventually([&] { return listed(a, c.pk, "dialed", 48); }, 10s));
  auto at_c = call_json(c, {"route", "ls"}).as_array();
  bool from_a = false;
  for (const auto& g : at_c)
    from_a = from_a || (g.as_object().at("remote") == a.pk.c_str()
                        && g.as_object().at("side") == "accepted"
                        && g.as_object().at("local_port").to_number<int64_t>() == 48);
  CHECK(from_a);
  CHECK(call_json(b, {"route", "ls"}).as_array().empty());
  CHECK(pinger.wait_for(120s));
}
