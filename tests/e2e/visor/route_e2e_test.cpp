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
    std::vector<std::pair<const visor_proc*, uint16_t>> nexts;
    if (next)
      nexts.emplace_back(next, next_port);
    make(v, name, nexts);
  }

  /// The same with several visors (and their stcp ports) in the pk_table.
  void make(visor_proc& v, const std::string& name,
            const std::vector<std::pair<const visor_proc*, uint16_t>>& nexts) {
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
      json::object table;
      for (auto [n, p] : nexts)
        table[n->pk] = "127.0.0.1:" + std::to_string(p);
      if (!table.empty())
        stcp["pk_table"] = table;
    });
  }

  uint16_t port_of(const char* k) const {
    return static_cast<uint16_t>(std::stoi(url(k).substr(sizeof("http://127.0.0.1:") - 1)));
  }

  /// Every visor's dmsg session is up and the setup node is in the discovery.
  void await_dmsg(const std::vector<visor_proc*>& vs) {
    auto server = std::string{info.at("dmsg_servers").as_array()[0].at("pk").as_string()};
    auto disc = port_of("dmsg_discovery");
    for (auto* v : vs)
      REQUIRE_MESSAGE(eventually(
                        [&] {
                          return http_get(disc, "/dmsg-discovery/entry/" + v->pk).find(server)
                                 != std::string::npos;
                        },
                        15s),
                      skywire::test::read_text(v->log));
    std::string sn{info.at("setup_node").as_string()};
    REQUIRE(eventually(
      [&] { return http_get(disc, "/dmsg-discovery/entry/" + sn).find(server) != std::string::npos; },
      15s));
  }
};

uint16_t stcp_port(visor_proc& v) {
  return port_from_log(v.log, "transport listener up", "type=stcp addr=127\\.0\\.0\\.1:(\\d+)");
}

} // namespace

TEST_CASE("routing e2e: a 2-hop route A-B-C between three visor processes carries data both ways") {
  local_net net;
  visor_proc a, b, c;
  // C, then B (dials C), then A (dials B): each knows the next one's stcp port
  net.make(c, "c");
  start_visor(c, "visor started");
  net.make(b, "b", &c, stcp_port(c));
  start_visor(b, "visor started");
  net.make(a, "a", &b, stcp_port(b));
  start_visor(a, "visor started");
  // each visor's dmsg session is up and its discovery entry names the
  // server (the setup node reaches the visors' gateways over dmsg), and the
  // setup node's (the visors dial it there)
  net.await_dmsg({&a, &b, &c});
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
}

TEST_CASE("routing e2e: a route whose middle transport is removed is set up again; the ping goes on") {
  // A-B-D and A-C-D: two disjoint 2-hop paths from A to D
  local_net net;
  visor_proc a, b, c, d;
  net.make(d, "d");
  start_visor(d, "visor started");
  net.make(b, "b", &d, stcp_port(d));
  start_visor(b, "visor started");
  net.make(c, "c", &d, stcp_port(d));
  start_visor(c, "visor started");
  net.make(a, "a", {{&b, stcp_port(b)}, {&c, stcp_port(c)}});
  start_visor(a, "visor started");
  net.await_dmsg({&a, &b, &c, &d});
  auto ab = call_json(a, {"tp", "add", b.pk, "-t", "stcp"}).as_object();
  auto ac = call_json(a, {"tp", "add", c.pk, "-t", "stcp"}).as_object();
  auto bd = call_json(b, {"tp", "add", d.pk, "-t", "stcp"}).as_object();
  auto cd = call_json(c, {"tp", "add", d.pk, "-t", "stcp"}).as_object();
  for (auto* t : {&ab, &ac, &bd, &cd})
    REQUIRE((*t)["state"] == "up");
  REQUIRE(eventually(
    [&] {
      auto all = http_get(net.port_of("transport_discovery"), "/all-transports");
      for (auto* t : {&ab, &ac, &bd, &cd})
        if (all.find(std::string{(*t)["id"].as_string()}) == std::string::npos)
          return false;
      return true;
    },
    10s));
  REQUIRE(eventually(
    [&] {
      return cli({"cli", "rtfind", a.pk, d.pk, "-n", "2", "-a", net.url("route_finder")}).code == 0;
    },
    10s));
  // a long ping from A to D over 2 hops, in its own process
  auto ping_log = net.tmp.path / "ping.log";
  skywire::test::process ping;
  REQUIRE(skywire::test::spawn(ping,
                               {binary, "cli", "visor", "ping", d.pk, "-n", "1000", "-s", "65536",
                                "--min-hops", "2", "--json", "--rpc", a.rpc},
                               ping_log));
  // the route is up once a middle visor holds its rules: that one's transport to D goes
  visor_proc* mid = nullptr;
  REQUIRE(eventually(
    [&] {
      for (auto* m : {&b, &c})
        if (!call_json(*m, {"route", "ls-rules"}).as_array().empty()) {
          mid = m;
          return true;
        }
      return false;
    },
    10s));
  REQUIRE_MESSAGE(ping.running(), "the ping ended before the cut: ", skywire::test::read_text(ping_log));
  auto& gone = mid == &b ? bd : cd;
  call_json(*mid, {"tp", "rm", "-i", std::string{gone["id"].as_string()}});
  // the ping finishes: every echo came back, over the other path
  REQUIRE_MESSAGE(ping.wait_for(60s), skywire::test::read_text(ping_log));
  auto out = skywire::test::read_text(ping_log);
  INFO("ping: ", out, "\nA:\n", skywire::test::read_text(a.log));
  CHECK(ping.exit_code() == 0);
  auto j = json::parse(out.substr(out.find('{'))).as_object();
  CHECK(j["rtt_us"].as_array().size() == 1000);
  CHECK(skywire::test::read_text(a.log).find("route re-established on another path")
        != std::string::npos);
}
