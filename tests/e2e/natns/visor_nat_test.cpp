// Visor processes behind NAT routers, in network namespaces the test makes
// (tests/support/netns.hpp), with `skywire svc stun`, `svc ar` and `svc
// tpd` in the public namespace and generated configs that name them (and
// the STUN server in `stun_servers`). The CLI reaches each visor over its
// unix socket, from outside the namespaces.
//  - two visors behind cone NATs: each finds its NAT a port restricted cone
//    one and binds at the resolver; `tp add -t sudph` comes up through the
//    hole punch (the resolver's push to B, B's punch, A's KCP session),
//    with each side's peer seen at the other's public address; pings both
//    ways, `tp ls` on both sides, the entry in the transport discovery;
//  - a visor behind a symmetric NAT says so in its log and in `visor info`
//    and does not offer sudph (`tp type`, not bound at the resolver, `tp
//    add -t sudph` refused with the reason), while its neighbour behind a
//    cone NAT offers it.
// Root only (skipped with a message otherwise; never under CI=true).
#include <doctest/doctest.h>

#include <signal.h>

#include "tests/e2e/natns/services.hpp"
#include "tests/e2e/visor/visor_procs.hpp"
#include "tests/support/netns.hpp"

namespace {

using namespace e2e_visor;
using namespace natns_test;
using skywire::test::netns::nat_kind;
using skywire::test::netns::topology;

/// A visor config for a home: our services in the public namespace, sudph
/// on a random port, the STUN server, no stcp, no dmsg.
void make_home_visor(visor_proc& v, const fs::path& root, const std::string& name) {
  make_visor(v, root, name, [](json::object& c) {
    c.erase("skywire-tcp");
    auto& t = c["transport"].as_object();
    t["discovery"] = service_url(tpd_port);
    t["address_resolver"] = service_url(ar_port);
    t["sudph_port"] = 0;
    c["dmsg"].as_object()["discovery"] = "";
    c["stun_servers"] = json::array{json::string{service_addr(stun_port)}};
  });
}

/// The sudph entry of `visor info`'s listeners.
json::object sudph_listener(const visor_proc& v) {
  auto info = call_json(v, {"info"});
  for (auto& l : info.as_object()["transports"].as_object()["listeners"].as_array())
    if (l.as_object()["type"] == "sudph")
      return l.as_object();
  FAIL("no sudph listener in visor info");
  return {};
}

std::string host_of(const json::value& addr) {
  std::string s{addr.as_string()};
  return s.substr(0, s.rfind(':'));
}

struct nat_world {
  topology t;
  skywire::test::temp_dir tmp;
  service stun, ar, tpd;
  visor_proc a, b;

  nat_world(nat_kind ka, nat_kind kb) : t{ka, kb} {
    REQUIRE_MESSAGE(t.error().empty(), t.error());
    REQUIRE(!tmp.path.empty());
    start_stun(stun, t, tmp.path);
    start_ar(ar, t, tmp.path);
    start_tpd(tpd, t, tmp.path);
    make_home_visor(a, tmp.path, "a");
    make_home_visor(b, tmp.path, "b");
  }
  ~nat_world() {
    // the visors first (their namespaces go with the topology, last)
    a.p.kill_now();
    b.p.kill_now();
  }
};

} // namespace

TEST_CASE("natns visors: sudph through two cone NATs, up by a hole punch, pings both ways") {
  if (!SKYWIRE_REQUIRE_NETNS())
    return;
  nat_world w{nat_kind::cone, nat_kind::cone};
  // both at once: each runs its NAT test first (seconds behind a cone NAT:
  // the changed answers that never come are waited for)
  spawn_visor(w.a, topology::in(w.t.a.home, {}));
  spawn_visor(w.b, topology::in(w.t.b.home, {}));
  await_visor(w.a, "sudph: bound at the address resolver");
  await_visor(w.b, "sudph: bound at the address resolver");
  for (auto* v : {&w.a, &w.b}) {
    const auto& site = v == &w.a ? w.t.a : w.t.b;
    auto l = sudph_listener(*v);
    CHECK(l["offered"] == true);
    CHECK_MESSAGE(l["nat"].as_object()["type"] == "port restricted NAT",
                  json::serialize(l), "\n", skywire::test::read_text(v->log));
    CHECK(host_of(l["nat"].as_object()["public"]) == site.public_ip);
    CHECK(l["address_resolver"].as_object()["state"] == "bound");
    CHECK(skywire::test::read_text(v->log).find("nat=\"port restricted NAT\"")
          != std::string::npos);
  }

  auto s = call_json(w.a, {"tp", "add", w.b.pk, "-t", "sudph"}).as_object();
  CHECK_MESSAGE(s["state"] == "up", json::serialize(s), "\n", skywire::test::read_text(w.a.log));
  CHECK(s["type"] == "sudph");
  std::string id{s["id"].as_string()};
  // the hole punch: the resolver pushed A's address to B, which punched toward it
  CHECK(sudph_listener(w.b)["address_resolver"].as_object()["pushes"].to_number<uint64_t>()
        == 1);
  CHECK(sudph_listener(w.a)["address_resolver"].as_object()["pushes"].to_number<uint64_t>()
        == 0);

  // tp ls on both sides: the same transport, each peer at the other's public (NAT) address
  auto la = tp_ls(w.a);
  REQUIRE(la.size() == 1);
  CHECK(la[0].as_object()["id"] == id.c_str());
  CHECK(la[0].as_object()["role"] == "initiator");
  CHECK(host_of(la[0].as_object()["remote_addr"]) == w.t.b.public_ip);
  REQUIRE(eventually([&] { return tp_ls(w.b).size() == 1; }, 5s));
  auto lb = tp_ls(w.b);
  CHECK(lb[0].as_object()["id"] == id.c_str());
  CHECK(lb[0].as_object()["type"] == "sudph");
  CHECK(lb[0].as_object()["role"] == "responder");
  CHECK(lb[0].as_object()["remote_pk"] == w.a.pk.c_str());
  CHECK(host_of(lb[0].as_object()["remote_addr"]) == w.t.a.public_ip);

  // data both ways
  for (auto* v : {&w.a, &w.b}) {
    auto p = call_json(*v, {"tp", "ping", "-i", id});
    CHECK(p.as_object()["rtt_us"].to_number<uint64_t>() > 0);
  }
  // registered in the transport discovery (in the public namespace)
  REQUIRE(eventually(
    [&] { return call_json(w.b, {"tp", "disc", "-i", id}).as_object().contains("type"); }, 5s));
  CHECK(call_json(w.b, {"tp", "disc", "-i", id}).as_object()["type"] == "sudph");
  auto human = cli({"cli", "visor", "info", "--rpc", w.a.rpc});
  CHECK(human.out.find("(NAT: port restricted NAT)") != std::string::npos);
  CHECK(human.out.find("1 transport(s)") != std::string::npos);

  // tp rm: closed on both sides
  auto rm = cli({"cli", "visor", "tp", "rm", "-i", id, "--rpc", w.a.rpc});
  CHECK_MESSAGE(rm.code == 0, rm.err);
  CHECK(eventually([&] { return tp_ls(w.a).empty() && tp_ls(w.b).empty(); }, 5s));
  for (auto* v : {&w.a, &w.b})
    CHECK(v->p.stop(SIGTERM, 15s));
}

TEST_CASE("natns visors: a visor behind a symmetric NAT reports it and does not offer sudph") {
  if (!SKYWIRE_REQUIRE_NETNS())
    return;
  nat_world w{nat_kind::cone, nat_kind::symmetric};
  spawn_visor(w.a, topology::in(w.t.a.home, {}));
  spawn_visor(w.b, topology::in(w.t.b.home, {}));
  await_visor(w.a, "sudph: bound at the address resolver");
  await_visor(w.b, "sudph is not offered");
  auto log = skywire::test::read_text(w.b.log);
  CHECK_MESSAGE(log.find("sudph is not offered: hole punching is impossible behind this NAT")
                  != std::string::npos,
                log);
  CHECK(log.find("nat=\"symmetric NAT\"") != std::string::npos);
  CHECK(log.find("sudph: bound at the address resolver") == std::string::npos);

  auto l = sudph_listener(w.b);
  CHECK(l["offered"] == false);
  CHECK(l["nat"].as_object()["type"] == "symmetric NAT");
  CHECK(host_of(l["nat"].as_object()["public"]) == w.t.b.public_ip);
  std::string why{l["unavailable"].as_string()};
  CHECK_MESSAGE(why.find("symmetric NAT") != std::string::npos, why);
  auto human = cli({"cli", "visor", "info", "--rpc", w.b.rpc});
  CHECK_MESSAGE(human.out.find("sudph not offered: hole punching is impossible behind this NAT "
                               "(symmetric NAT")
                  != std::string::npos,
                human.out);
  CHECK(json::serialize(call_json(w.b, {"tp", "type"})).find("sudph") == std::string::npos);
  // B refuses to dial sudph, with the reason
  auto add = cli({"cli", "visor", "tp", "add", w.a.pk, "-t", "sudph", "--rpc", w.b.rpc});
  CHECK(add.code != 0);
  CHECK_MESSAGE(add.err.find("symmetric NAT") != std::string::npos, add.err);

  // the neighbour behind the cone NAT offers it, but B is not bound at the
  // resolver: nothing to punch toward
  auto la = sudph_listener(w.a);
  CHECK(la["offered"] == true);
  CHECK(la["nat"].as_object()["type"] == "port restricted NAT");
  CHECK(json::serialize(call_json(w.a, {"tp", "type"})).find("sudph") != std::string::npos);
  auto from_a = cli({"cli", "visor", "tp", "add", w.b.pk, "-t", "sudph", "--rpc", w.a.rpc});
  CHECK(from_a.code != 0);
  CHECK_MESSAGE(from_a.err.find("is not bound for sudph at the address resolver")
                  != std::string::npos,
                from_a.err);
  for (auto* v : {&w.a, &w.b})
    CHECK(v->p.stop(SIGTERM, 15s));
}
