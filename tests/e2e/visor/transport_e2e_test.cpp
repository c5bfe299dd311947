// End to end: two visor processes and our transport discovery (`skywire svc
// tpd`), all on loopback, with generated configs. An stcp transport A -> B:
// up on both sides, data both ways (route-0 pings), its entry in the
// discovery, `tp ls` on both sides, `tp rm` closing both sides and
// deregistering; a SIGKILLed peer noticed and deregistered; garbage, a
// truncated handshake and a slowloris on B's stcp listener dropped while the
// transport keeps working. Every process is killed by PID if a check fails.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/json.hpp>

#include "tests/e2e/visor/visor_procs.hpp"
#include "tests/e2e/visor/visor_support.hpp"

namespace {

using namespace e2e_visor;

struct cluster {
  skywire::test::temp_dir tmp;
  std::unique_ptr<tpd_proc> tpd;
  visor_proc a, b;
  uint16_t b_stcp_port = 0;

  cluster() {
    REQUIRE(!tmp.path.empty());
    tpd = std::make_unique<tpd_proc>(tmp.path);
    // B first: A's pk_table needs B's listening port
    make(b, "b", {});
    start(b);
    auto port = skywire::test::match(skywire::test::read_text(b.log),
                                     "type=stcp addr=127\\.0\\.0\\.1:(\\d+)");
    REQUIRE_FALSE(port.empty());
    b_stcp_port = static_cast<uint16_t>(std::stoi(port));
    make(a, "a", json::object{{b.pk, "127.0.0.1:" + std::to_string(b_stcp_port)}});
    start(a);
  }

  void make(visor_proc& v, const std::string& name, json::object pk_table) {
    make_visor(v, tmp.path, name, [&](json::object& c) {
      // loopback only: stcp on an ephemeral port, our TPD, no dmsg, no stcpr
      auto& stcp = c["skywire-tcp"].as_object();
      stcp["listening_address"] = "127.0.0.1:0";
      stcp["pk_table"] = pk_table.empty() ? json::value(nullptr) : json::value(pk_table);
      c["transport"].as_object()["discovery"] = tpd->url();
      c["transport"].as_object()["address_resolver"] = "";
      c["dmsg"].as_object()["discovery"] = "";
    });
  }

  void start(visor_proc& v) { start_visor(v, "transport listener up"); }

  json::value call_json(const visor_proc& v, std::vector<std::string> args) {
    return e2e_visor::call_json(v, std::move(args));
  }
  json::array tp_ls(const visor_proc& v) { return e2e_visor::tp_ls(v); }
  std::string all_transports() { return tpd->all_transports(); }

  /// `tp add` from A to B; the transport's ID.
  std::string add_a_to_b() {
    auto s = call_json(a, {"tp", "add", b.pk}).as_object();
    CHECK(s["state"] == "up");
    CHECK(s["type"] == "stcp");
    CHECK(s["remote_pk"] == b.pk.c_str());
    return std::string{s["id"].as_string()};
  }
};

using skywire::test::visor_e2e::raw_client; // a raw TCP client of a listener, for hostile bytes

uint64_t log_field(const json::value& s, const char* k) {
  return s.as_object().at("log").as_object().at(k).to_number<uint64_t>();
}

} // namespace

TEST_CASE("tp commands: --help of each") {
  for (auto c : {"type", "ls", "id", "add", "rm", "disc", "ping"}) {
    auto r = cli({"cli", "visor", "tp", c, "--help"});
    CHECK_MESSAGE(r.code == 0, c);
    CHECK(r.out.find("--json") != std::string::npos);
  }
  CHECK(cli({"cli", "visor", "tp", "add", "--help"}).out.find("stcpr, sudph, dmsg, stcp")
        != std::string::npos);
  CHECK(cli({"cli", "visor", "tp", "rm"}).code == 2);
  CHECK(cli({"cli", "visor", "tp", "add", "02ab"}).code == 2);
  CHECK(cli({"cli", "visor", "tp", "disc"}).code == 2);
}

TEST_CASE("stcp between two visors: up, data both ways, in the TPD, tp ls both sides, tp rm") {
  cluster c;
  auto types = c.call_json(c.a, {"tp", "type"});
  CHECK(json::serialize(types) == "[\"stcp\"]");
  auto id = c.add_a_to_b();

  // tp ls on both sides
  auto la = c.tp_ls(c.a);
  REQUIRE(la.size() == 1);
  CHECK(la[0].as_object()["id"] == id.c_str());
  CHECK(la[0].as_object()["role"] == "initiator");
  std::string b_id;
  REQUIRE(eventually([&] { return c.tp_ls(c.b).size() == 1; }, 5s));
  auto lb = c.tp_ls(c.b);
  CHECK(lb[0].as_object()["id"] == id.c_str());
  CHECK(lb[0].as_object()["remote_pk"] == c.a.pk.c_str());
  CHECK(lb[0].as_object()["role"] == "responder");

  // data both ways: a ping from each side, answered by the other
  auto pa = c.call_json(c.a, {"tp", "ping", "-i", id});
  CHECK(pa.as_object()["rtt_us"].to_number<uint64_t>() > 0);
  auto pb = c.call_json(c.b, {"tp", "ping", "-i", id});
  CHECK(pb.as_object()["rtt_us"].to_number<uint64_t>() > 0);
  for (auto* v : {&c.a, &c.b}) {
    auto s = c.call_json(*v, {"tp", "id", "-i", id});
    CHECK(log_field(s, "sent") == 32);
    CHECK(log_field(s, "recv") == 32);
  }
  auto human = cli({"cli", "visor", "tp", "ls", "--rpc", c.a.rpc});
  CHECK(human.out.find(id) != std::string::npos);
  CHECK(human.out.find("regular") != std::string::npos);

  // in the transport discovery: publicly, and by edge through the visor (httpauth)
  CHECK(c.all_transports().find(id) != std::string::npos);
  auto disc = c.call_json(c.a, {"tp", "disc", "-p", c.a.pk});
  REQUIRE(disc.is_array());
  REQUIRE(disc.as_array().size() == 1);
  CHECK(disc.as_array()[0].as_object()["t_id"] == id.c_str());
  auto by_id = c.call_json(c.b, {"tp", "disc", "-i", id});
  CHECK(by_id.as_object()["type"] == "stcp");

  // visor info shows it
  auto info = c.call_json(c.a, {"info"});
  CHECK(info.as_object()["transports"].as_object()["transports"].as_array().size() == 1);
  CHECK(cli({"cli", "visor", "info", "--rpc", c.b.rpc}).out.find("1 transport(s)")
        != std::string::npos);

  // tp rm on A: closed on both sides, deregistered
  auto rm = cli({"cli", "visor", "tp", "rm", "-i", id, "--rpc", c.a.rpc});
  CHECK_MESSAGE(rm.code == 0, rm.err);
  CHECK(rm.out == "OK\n");
  CHECK(eventually([&] { return c.tp_ls(c.a).empty() && c.tp_ls(c.b).empty(); }, 5s));
  CHECK(eventually([&] { return c.all_transports().find(id) == std::string::npos; }, 5s));
  CHECK(skywire::test::wait_for_text(c.b.log, "cause=\"the peer closed the connection\"", 2s));
  // unknown now
  CHECK(cli({"cli", "visor", "tp", "id", "-i", id, "--rpc", c.a.rpc}).code == 1);
}

TEST_CASE("stcp: a SIGKILLed peer is noticed and the transport deregistered") {
  cluster c;
  auto id = c.add_a_to_b();
  REQUIRE(eventually([&] { return c.all_transports().find(id) != std::string::npos; }, 5s));
  auto t0 = std::chrono::steady_clock::now();
  c.b.p.kill_now();
  // within the keep-alive bound (10 s keep-alive, 30 s silence); a killed
  // process's connection ends at once, so it is noticed at once
  CHECK(eventually([&] { return c.tp_ls(c.a).empty(); }, 10s));
  auto noticed = std::chrono::steady_clock::now() - t0;
  CHECK(noticed < 10s);
  CHECK(eventually([&] { return c.all_transports().find(id) == std::string::npos; }, 5s));
  CHECK(skywire::test::wait_for_text(c.a.log, "msg=\"transport down\"", 1s));
  MESSAGE(
    "SIGKILL to noticed: " << std::chrono::duration_cast<std::chrono::milliseconds>(noticed).count()
                           << " ms");
}

TEST_CASE("stcp listener: garbage, a truncated handshake and a slowloris are dropped") {
  cluster c;
  auto id = c.add_a_to_b();
  raw_client garbage{c.b_stcp_port};
  garbage.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(garbage.closed_within(2s)); // at its first wrong byte
  {
    raw_client truncated{c.b_stcp_port};
    truncated.send("get_nonce");
    auto frame1 = truncated.read_line(2s);
    CHECK(frame1.find("{\"Nonce\":[") == 0);
  } // gone after Frame1
  raw_client slow{c.b_stcp_port};
  auto t0 = std::chrono::steady_clock::now();
  slow.send("get_n"); // and nothing more
  // the transport carries data meanwhile, both ways
  for (int i = 0; i < 3; ++i) {
    CHECK(c.call_json(c.a, {"tp", "ping", "-i", id}).as_object().contains("rtt_us"));
    CHECK(c.call_json(c.b, {"tp", "ping", "-i", id}).as_object().contains("rtt_us"));
  }
  // cut at the handshake deadline (10 s, the reference's), not before
  CHECK(slow.closed_within(12s));
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took > 8s);
  auto lb = c.tp_ls(c.b);
  REQUIRE(lb.size() == 1);
  CHECK(lb[0].as_object()["state"] == "up");
  CHECK(c.call_json(c.a, {"tp", "ping", "-i", id}).as_object().contains("rtt_us"));
  auto info = c.call_json(c.b, {"info"});
  auto& listener = info.as_object()["transports"].as_object()["listeners"].as_array()[0];
  auto dropped = listener.as_object()["inbound"].as_object()["dropped"].to_number<uint64_t>();
  CHECK(dropped == 3);
  MESSAGE(
    "slowloris cut after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                           << " ms");
}
