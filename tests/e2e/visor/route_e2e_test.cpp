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
}
