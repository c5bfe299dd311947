// End to end: two visor processes, our transport discovery (`skywire svc
// tpd`) and our address resolver (`skywire svc ar`, its UDP side on its HTTP
// port, as the visors' URL names it), all on 127.0.0.1, with generated
// configs. A sudph transport A -> B: both visors bind at the resolver over
// its UDP/KCP channel, `tp add -t sudph` (resolve, the resolver's push, a
// KCP session, the handshakes) is up on both sides with the same ID, pings
// cross it both ways, its entry is in the discovery, `visor info` shows the
// NAT type; a flood of garbage and half-open sessions on B's sudph port
// leaves it alone; `tp rm` closes both sides and deregisters; a visor that
// stops unbinds at the resolver (delBind). The resolver treats two visors
// behind the same address (here 127.0.0.1) as local peers, so no test mode
// is needed. Every process is killed by PID if a check fails.
#include <doctest/doctest.h>

#include <signal.h>

#include <random>

#include "tests/actors/transport/sudph/support.hpp"
#include "tests/e2e/visor/visor_procs.hpp"

namespace {

using namespace e2e_visor;

struct sudph_cluster {
  skywire::test::temp_dir tmp;
  std::unique_ptr<tpd_proc> tpd;
  std::unique_ptr<ar_proc> ar;
  visor_proc a, b;
  uint16_t b_sudph_port = 0;

  sudph_cluster() {
    REQUIRE(!tmp.path.empty());
    tpd = std::make_unique<tpd_proc>(tmp.path);
    ar = std::make_unique<ar_proc>(tmp.path);
    for (auto* v : {&a, &b}) {
      make_visor(*v, tmp.path, v == &a ? "a" : "b", [&](json::object& c) {
        // loopback only: no stcp, our TPD and AR, no dmsg, no STUN
        c.erase("skywire-tcp");
        auto& t = c["transport"].as_object();
        t["discovery"] = tpd->url();
        t["address_resolver"] = ar->url();
        t["sudph_port"] = 0;
        c["dmsg"].as_object()["discovery"] = "";
        c["stun_servers"] = json::array{};
      });
      start_visor(*v, "sudph: bound at the address resolver");
    }
    auto port =
      skywire::test::match(skywire::test::read_text(b.log), "type=sudph addr=0\\.0\\.0\\.0:(\\d+)");
    REQUIRE_FALSE(port.empty());
    b_sudph_port = static_cast<uint16_t>(std::stoi(port));
    // the resolver stored both bindings once it read their bind messages
    REQUIRE(eventually(
      [&] {
        auto t = ar->transports();
        return t.find(a.pk) != std::string::npos && t.find(b.pk) != std::string::npos;
      },
      5s));
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
};

} // namespace

TEST_CASE("sudph between two visors: up, same ID both sides, pings, in the TPD, NAT shown, "
          "a flood ignored, tp rm, delBind on stop") {
  sudph_cluster c;
  auto types = json::serialize(call_json(c.a, {"tp", "type"}));
  CHECK(types.find("\"sudph\"") != std::string::npos);

  auto s = call_json(c.a, {"tp", "add", c.b.pk, "-t", "sudph"}).as_object();
  CHECK(s["state"] == "up");
  CHECK(s["type"] == "sudph");
  CHECK(s["remote_pk"] == c.b.pk.c_str());
  std::string id{s["id"].as_string()};

  // tp ls on both sides: the same ID
  auto la = tp_ls(c.a);
  REQUIRE(la.size() == 1);
  CHECK(la[0].as_object()["id"] == id.c_str());
  CHECK(la[0].as_object()["role"] == "initiator");
  REQUIRE(eventually([&] { return tp_ls(c.b).size() == 1; }, 5s));
  auto lb = tp_ls(c.b);
  CHECK(lb[0].as_object()["id"] == id.c_str());
  CHECK(lb[0].as_object()["type"] == "sudph");
  CHECK(lb[0].as_object()["role"] == "responder");
  CHECK(lb[0].as_object()["remote_pk"] == c.a.pk.c_str());

  // data both ways
  for (auto* v : {&c.a, &c.b}) {
    auto p = call_json(*v, {"tp", "ping", "-i", id});
    CHECK(p.as_object()["rtt_us"].to_number<uint64_t>() > 0);
  }

  // in the transport discovery
  CHECK(eventually([&] { return c.tpd->all_transports().find(id) != std::string::npos; }, 5s));
  auto by_id = call_json(c.b, {"tp", "disc", "-i", id});
  CHECK(by_id.as_object()["type"] == "sudph");

  // visor info: the NAT type (not checked: no stun_servers), bound at the AR
  auto l = c.sudph_listener(c.a);
  CHECK(l["offered"] == true);
  CHECK(l["nat"].as_object()["type"] == "unknown");
  CHECK(l["address_resolver"].as_object()["state"] == "bound");
  auto human = cli({"cli", "visor", "info", "--rpc", c.a.rpc});
  CHECK(human.out.find("(NAT: unknown)") != std::string::npos);
  CHECK(human.out.find("1 transport(s)") != std::string::npos);

  // garbage, oversized, KCP-looking and half-open sessions on B's sudph port
  {
    std::mt19937 rng{7};
    boost::asio::ip::udp::endpoint to_b{boost::asio::ip::make_address("127.0.0.1"), c.b_sudph_port};
    std::vector<std::unique_ptr<sudph_test::raw_socket>> floods;
    for (int i = 0; i < 3; ++i)
      floods.push_back(std::make_unique<sudph_test::raw_socket>());
    for (int round = 0; round < 20; ++round) {
      for (auto& f : floods) {
        std::vector<uint8_t> junk(1 + rng() % 1200);
        for (auto& x : junk)
          x = static_cast<uint8_t>(rng());
        f->send(to_b, junk);
        f->send(to_b, std::vector<uint8_t>(3000, 0x52));
        f->send(to_b, std::vector<uint8_t>(40, 0x51));
        // a slowloris: a session opened and never continued
        f->send(to_b, sudph_test::kcp_push(static_cast<uint32_t>(rng()), 0, "get_n"));
      }
      if (round % 5 == 0) {
        CHECK(call_json(c.a, {"tp", "ping", "-i", id}).as_object().contains("rtt_us"));
        CHECK(call_json(c.b, {"tp", "ping", "-i", id}).as_object().contains("rtt_us"));
      }
    }
    auto lb2 = tp_ls(c.b);
    REQUIRE(lb2.size() == 1);
    CHECK(lb2[0].as_object()["state"] == "up");
    CHECK(call_json(c.a, {"tp", "ping", "-i", id}).as_object().contains("rtt_us"));
    auto sock = c.sudph_listener(c.b)["socket"].as_object();
    MESSAGE("B's sudph socket after the flood: " << json::serialize(sock));
    CHECK(sock["pending"].to_number<uint64_t>() <= 3 * 8);
  }

  // tp rm on A: closed on both sides, deregistered
  auto rm = cli({"cli", "visor", "tp", "rm", "-i", id, "--rpc", c.a.rpc});
  CHECK_MESSAGE(rm.code == 0, rm.err);
  CHECK(eventually([&] { return tp_ls(c.a).empty() && tp_ls(c.b).empty(); }, 5s));
  CHECK(eventually([&] { return c.tpd->all_transports().find(id) == std::string::npos; }, 5s));
  CHECK(skywire::test::wait_for_text(c.b.log, "cause=\"the peer closed the connection\"", 2s));

  // B stops: delBind, its binding leaves the resolver
  CHECK(c.b.p.stop(SIGTERM, 15s));
  CHECK(eventually([&] { return c.ar->transports().find(c.b.pk) == std::string::npos; }, 5s));
  CHECK(c.ar->transports().find(c.a.pk) != std::string::npos);
}
