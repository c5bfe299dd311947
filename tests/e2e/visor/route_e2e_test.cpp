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

#include "tests/e2e/visor/local_net.hpp"

using namespace e2e_visor;

TEST_CASE("routing e2e: a 2-hop route A-B-C between three visor processes carries data both ways") {
  local_net net;
  visor_proc a, b, c;
  // C, then B (dials C), then A (dials B): each knows the next one's stcp port
  net.make(c, "c");
  start_visor(c, "visor started");
  net.make(b, "b", &c, local_net::stcp_port(c));
  start_visor(b, "visor started");
  net.make(a, "a", &b, local_net::stcp_port(b));
  start_visor(a, "visor started");
  net.await_dmsg({&a, &b, &c});
  // transports A-B and B-C only, both in the transport discovery (the route
  // finder's graph; it refreshes every second here)
  net.add_transport(a, b);
  net.add_transport(b, c);
  net.await_route(a, c, 2);

  // A pings C over a route of at least 2 hops: A -> B -> C and back
  auto r = cli({"cli", "visor", "ping", c.pk, "-n", "5", "-s", "1000", "--min-hops", "2", "--json",
                "--rpc", a.rpc});
  REQUIRE_MESSAGE(r.code == 0, r.err, net.logs({&a, &b, &c}));
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

TEST_CASE("routing e2e: a route whose middle transport is removed is set up again; the ping goes on") {
  // A-B-D and A-C-D: two disjoint 2-hop paths from A to D
  local_net net;
  visor_proc a, b, c, d;
  net.make(d, "d");
  start_visor(d, "visor started");
  auto dp = local_net::stcp_port(d);
  net.make(b, "b", &d, dp);
  start_visor(b, "visor started");
  net.make(c, "c", &d, dp);
  start_visor(c, "visor started");
  auto bp = local_net::stcp_port(b), cp = local_net::stcp_port(c);
  net.make(a, "a", nullptr, 0, [&](json::object& cfg) {
    cfg["skywire-tcp"].as_object()["pk_table"] =
      json::object{{b.pk, "127.0.0.1:" + std::to_string(bp)},
                   {c.pk, "127.0.0.1:" + std::to_string(cp)}};
  });
  start_visor(a, "visor started");
  net.await_dmsg({&a, &b, &c, &d});
  net.add_transport(a, b);
  net.add_transport(a, c);
  auto bd = net.add_transport(b, d);
  auto cd = net.add_transport(c, d);
  net.await_route(a, d, 2);
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
  call_json(*mid, {"tp", "rm", "-i", mid == &b ? bd : cd});
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
