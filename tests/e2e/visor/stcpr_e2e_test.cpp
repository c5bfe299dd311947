// End to end, stcpr: two visor processes, `skywire svc ar` and `skywire svc
// tpd`, each visor in its own network namespace with a TEST-NET address
// (192.0.2.1, 192.0.2.2) on a veth to a bridge in the test's "hub"
// namespace (192.0.2.254), where the services, the hostile clients and a
// fake service discovery run. A visor binds stcpr at the address resolver
// only when an interface holds a public IP (as the reference), so the
// visors see only their TEST-NET address and loopback; no packet leaves
// the namespaces the test created.
//
//  - stcpr up: both bound at the AR, A resolves B and dials 192.0.2.2, the
//    same ID in both `tp ls`, pings both ways, the entry in the TPD, the
//    re-bind heartbeat seen at the AR (bindings outlive the AR's entry
//    timeout), `tp rm`, unbind on stop;
//  - a SIGKILLed peer noticed and deregistered within the keep-alive bound;
//  - garbage, a truncated handshake and a slowloris on B's stcpr listener
//    dropped while the transport carries pings;
//  - a persistent transport back after its peer restarted (on a new port);
//  - public autoconnect: an `automatic` transport to the visor a fake
//    service discovery lists, topped up after the peer was killed and came
//    back.
// Root only (namespaces): skipped with the reason otherwise, never under
// CI=true. Every process is stopped by PID.
#include <doctest/doctest.h>

#include <signal.h>

#include <memory>
#include <mutex>

#include "messages/wire/service_discovery.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/http/client.hpp"
#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"
#include "tests/e2e/visor/visor_support.hpp"
#include "tests/support/netns_hub.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
namespace visor_e2e = skywire::test::visor_e2e;
namespace st = skywire::test;
using visor_e2e::binary;
using visor_e2e::call_json;
using visor_e2e::cli;
using visor_e2e::eventually;
using visor_e2e::raw_client;
using visor_e2e::tp_ls;
using visor_e2e::visor_proc;

namespace {

constexpr const char* hub_ip = "192.0.2.254";

/// Whether namespaces can be made; else a message (and under CI a failure).
bool namespaces_here() {
  auto why = st::netns_unavailable();
  if (why.empty())
    return true;
  if (st::under_ci())
    FAIL("CI=true and no network namespaces: " << why);
  MESSAGE("skipped: " << why);
  return false;
}

/// No transport of v is up (dials may be under way).
bool none_up(const visor_proc& v) {
  for (const auto& t : tp_ls(v))
    if (t.as_object().at("state") == "up")
      return false;
  return true;
}

struct node {
  std::string name;
  std::string ip;
  st::netns_node ns;
  visor_proc v;
  uint16_t stcpr_port = 0;
};

/// The hub namespace (entered by this thread), its bridge, the address
/// resolver and the transport discovery, and the visors' namespaces.
struct stcpr_net {
  st::thread_netns hub; // first: entered first, left last
  st::temp_dir tmp;
  st::process ar, tpd;
  uint16_t ar_port = 0, tpd_port = 0;
  std::vector<std::unique_ptr<node>> nodes;

  stcpr_net() {
    REQUIRE_MESSAGE(hub.error().empty(), hub.error());
    REQUIRE(!tmp.path.empty());
    auto e = st::make_bridge("br0", std::string{hub_ip} + "/24");
    REQUIRE_MESSAGE(e.empty(), e);
    ar_port = start_service(ar, "ar",
                            {binary, "svc", "ar", "-a", std::string{hub_ip} + ":0", "--udp-addr",
                             "off", "--entry-timeout", "3s"},
                            "address resolver listening");
    tpd_port = start_service(tpd, "tpd", {binary, "svc", "tpd", "-a", std::string{hub_ip} + ":0"},
                             "transport discovery listening");
  }

  uint16_t start_service(st::process& p, const std::string& name, std::vector<std::string> args,
                         const std::string& ready) {
    auto log = tmp.path / (name + ".log");
    REQUIRE(st::spawn(p, std::move(args), log));
    REQUIRE_MESSAGE(st::wait_for_text(log, ready, 5s), st::read_text(log));
    auto port = st::match(st::read_text(log), "addr=192\\.0\\.2\\.254:(\\d+)");
    REQUIRE_FALSE(port.empty());
    return static_cast<uint16_t>(std::stoi(port));
  }

  std::string url(uint16_t port) const {
    return "http://" + std::string{hub_ip} + ":" + std::to_string(port);
  }

  /// A namespace wired to the bridge with `ip`, and a visor config for it:
  /// stcpr only (no stcp, no dmsg), our AR and TPD, autoconnect off.
  node& add_node(const std::string& name, const std::string& ip) {
    nodes.push_back(std::make_unique<node>());
    auto& n = *nodes.back();
    n.name = name;
    n.ip = ip;
    REQUIRE_MESSAGE(n.ns.error().empty(), n.ns.error());
    auto e = st::wire_to_bridge(n.ns, "v" + name, ip + "/24", "br0");
    REQUIRE_MESSAGE(e.empty(), e);
    auto c = visor_e2e::gen_config(n.v, tmp.path, name);
    c.erase("skywire-tcp");
    c["transport"].as_object()["discovery"] = url(tpd_port);
    c["transport"].as_object()["address_resolver"] = url(ar_port);
    c["transport"].as_object()["public_autoconnect"] = false;
    c["dmsg"].as_object()["discovery"] = "";
    visor_e2e::write_config(n.v, c);
    return n;
  }

  json::object config_of(const node& n) {
    return json::parse(st::read_text(n.v.config)).as_object();
  }

  /// Starts (or restarts) the node's visor inside its namespace; its stcpr
  /// port from the log.
  void start(node& n) {
    auto mark = st::read_text(n.v.log).size();
    n.v.p.reaped = false; // a restart: the new process is killed on the way out too
    n.v.p.status = 0;
    REQUIRE(st::spawn(
      n.v.p, n.ns.exec({binary, "visor", "-c", n.v.config.string(), "--stcpr-rebind", "1s"}),
      n.v.log));
    std::string port;
    REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto text = st::read_text(n.v.log);
                        port = st::match(text.substr(std::min(mark, text.size())),
                                         "type=stcpr addr=0\\.0\\.0\\.0:(\\d+)");
                        return !port.empty();
                      },
                      10s),
                    st::read_text(n.v.log));
    n.stcpr_port = static_cast<uint16_t>(std::stoi(port));
    REQUIRE(eventually([&] { return cli({"cli", "visor", "pk", "--rpc", n.v.rpc}).code == 0; },
                       10s));
  }

  skywire::http::response get(uint16_t port, std::string target) {
    skywire::http::client_request r;
    r.host = hub_ip;
    r.port = port;
    r.target = std::move(target);
    r.timeout = 2s;
    auto res = skywire::http::request_sync(r);
    REQUIRE_MESSAGE(res, skywire::describe(res.error()));
    return *res;
  }

  /// Whether the AR lists pk under stcpr (GET /transports, public).
  bool bound(const std::string& pk) {
    auto t = skywire::wire::transport::decode_ar_transports(get(ar_port, "/transports").body);
    REQUIRE(t);
    for (const auto& k : t->stcpr)
      if (k.hex() == pk)
        return true;
    return false;
  }

  uint64_t ar_counter(const std::string& name) {
    auto text = get(ar_port, "/metrics").body;
    auto v = st::match(text, "\n" + name + " (\\d+)");
    REQUIRE_MESSAGE(!v.empty(), text);
    return std::stoull(v);
  }

  std::string all_transports() { return get(tpd_port, "/all-transports").body; }

  /// A and B up and bound at the AR.
  std::pair<node*, node*> two_visors() {
    auto& a = add_node("a", "192.0.2.1");
    auto& b = add_node("b", "192.0.2.2");
    start(b);
    start(a);
    REQUIRE_MESSAGE(eventually([&] { return bound(a.v.pk) && bound(b.v.pk); }, 10s),
                    st::read_text(a.v.log), st::read_text(b.v.log));
    return {&a, &b};
  }

  std::string add(node& from, node& to) {
    auto s = call_json(from.v, {"tp", "add", to.v.pk, "-t", "stcpr"}).as_object();
    CHECK(s["state"] == "up");
    CHECK(s["type"] == "stcpr");
    CHECK(s["remote_pk"] == to.v.pk.c_str());
    return std::string{s["id"].as_string()};
  }
};

} // namespace

TEST_CASE("stcpr between two visors in namespaces: bound, resolved, dialed, tp ls, pings, "
          "TPD, re-bind heartbeat, tp rm, unbind") {
  if (!namespaces_here())
    return;
  stcpr_net net;
  auto [a, b] = net.two_visors();
  auto types = call_json(a->v, {"tp", "type"}).as_array(); // stcpr first; sudph beside it
  REQUIRE_FALSE(types.empty());
  CHECK(types[0] == "stcpr");

  auto id = net.add(*a, *b);
  auto la = tp_ls(a->v);
  REQUIRE(la.size() == 1);
  CHECK(la[0].as_object()["id"] == id.c_str());
  CHECK(la[0].as_object()["role"] == "initiator");
  // dialed at the address the AR saw B bind from, on B's stcpr port
  CHECK(la[0].as_object()["remote_addr"] == ("192.0.2.2:" + std::to_string(b->stcpr_port)).c_str());
  REQUIRE(eventually([&] { return tp_ls(b->v).size() == 1; }, 5s));
  auto lb = tp_ls(b->v);
  CHECK(lb[0].as_object()["id"] == id.c_str());
  CHECK(lb[0].as_object()["remote_pk"] == a->v.pk.c_str());
  CHECK(lb[0].as_object()["role"] == "responder");
  CHECK(std::string{lb[0].as_object()["remote_addr"].as_string()}.rfind("192.0.2.1:", 0) == 0);

  CHECK(call_json(a->v, {"tp", "ping", "-i", id}).as_object()["rtt_us"].to_number<uint64_t>() > 0);
  CHECK(call_json(b->v, {"tp", "ping", "-i", id}).as_object()["rtt_us"].to_number<uint64_t>() > 0);
  CHECK(visor_e2e::log_field(call_json(a->v, {"tp", "id", "-i", id}), "recv") == 32);
  CHECK(eventually([&] { return net.all_transports().find(id) != std::string::npos; }, 5s));
  auto entry = call_json(b->v, {"tp", "disc", "-i", id}).as_object();
  CHECK(entry["type"] == "stcpr");

  // the re-bind heartbeat (1 s here, 5 min by default): the AR counts the
  // binds, and the bindings outlive the AR's 3 s entry timeout
  auto binds = net.ar_counter("ar_stcpr_binds_total");
  CHECK(eventually([&] { return net.ar_counter("ar_stcpr_binds_total") >= binds + 4; }, 5s));
  // four more re-binds of each visor (8 in all, one a second each): longer
  // than the entry timeout has passed since the first
  CHECK(eventually([&] { return net.ar_counter("ar_stcpr_binds_total") >= binds + 12; }, 8s));
  CHECK(net.bound(a->v.pk));
  CHECK(net.bound(b->v.pk));

  auto rm = cli({"cli", "visor", "tp", "rm", "-i", id, "--rpc", a->v.rpc});
  CHECK_MESSAGE(rm.code == 0, rm.err);
  CHECK(eventually([&] { return tp_ls(a->v).empty() && tp_ls(b->v).empty(); }, 5s));
  CHECK(eventually([&] { return net.all_transports().find(id) == std::string::npos; }, 5s));

  // a clean stop withdraws the binding (DELETE /bind/stcpr)
  REQUIRE(b->v.p.stop(SIGTERM, 10s));
  CHECK(eventually([&] { return net.ar_counter("ar_stcpr_unbinds_total") == 1; }, 5s));
  CHECK_FALSE(net.bound(b->v.pk));
  CHECK(net.bound(a->v.pk));
}

TEST_CASE("stcpr: a SIGKILLed peer is noticed and the transport deregistered") {
  if (!namespaces_here())
    return;
  stcpr_net net;
  auto [a, b] = net.two_visors();
  auto id = net.add(*a, *b);
  REQUIRE(eventually([&] { return net.all_transports().find(id) != std::string::npos; }, 5s));
  auto t0 = std::chrono::steady_clock::now();
  b->v.p.kill_now();
  // the keep-alive bound is 10 s + 30 s of silence; the kernel of a killed
  // process closes its connections, so it is noticed at once
  CHECK(eventually([&] { return tp_ls(a->v).empty(); }, 10s));
  auto noticed = std::chrono::steady_clock::now() - t0;
  CHECK(noticed < 10s);
  CHECK(eventually([&] { return net.all_transports().find(id) == std::string::npos; }, 5s));
  MESSAGE(
    "SIGKILL to noticed: " << std::chrono::duration_cast<std::chrono::milliseconds>(noticed).count()
                           << " ms");
}

TEST_CASE("stcpr listener: garbage, a truncated handshake and a slowloris are dropped") {
  if (!namespaces_here())
    return;
  stcpr_net net;
  auto [a, b] = net.two_visors();
  auto id = net.add(*a, *b);
  const char* b_ip = "192.0.2.2";
  raw_client garbage{b->stcpr_port, b_ip};
  garbage.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(garbage.closed_within(2s)); // at its first wrong byte
  {
    raw_client truncated{b->stcpr_port, b_ip};
    truncated.send("get_nonce");
    CHECK(truncated.read_line(2s).find("{\"Nonce\":[") == 0);
  } // gone after Frame1
  raw_client slow{b->stcpr_port, b_ip};
  auto t0 = std::chrono::steady_clock::now();
  slow.send("get_n");
  for (int i = 0; i < 3; ++i) {
    CHECK(call_json(a->v, {"tp", "ping", "-i", id}).as_object().contains("rtt_us"));
    CHECK(call_json(b->v, {"tp", "ping", "-i", id}).as_object().contains("rtt_us"));
  }
  CHECK(slow.closed_within(12s)); // the handshake deadline (10 s), not before
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took > 8s);
  auto lb = tp_ls(b->v);
  REQUIRE(lb.size() == 1);
  CHECK(lb[0].as_object()["state"] == "up");
  CHECK(call_json(a->v, {"tp", "ping", "-i", id}).as_object().contains("rtt_us"));
  auto info = call_json(b->v, {"info"});
  auto& listener = info.as_object()["transports"].as_object()["listeners"].as_array()[0];
  CHECK(listener.as_object()["type"] == "stcpr");
  CHECK(listener.as_object()["inbound"].as_object()["dropped"].to_number<uint64_t>() == 3);
}

TEST_CASE("stcpr: a persistent transport comes back after its peer restarts") {
  if (!namespaces_here())
    return;
  stcpr_net net;
  auto& a = net.add_node("a", "192.0.2.1");
  auto& b = net.add_node("b", "192.0.2.2");
  auto c = net.config_of(a);
  c["persistent_transports"] = json::array{json::object{{"pk", b.v.pk}, {"type", "stcpr"}}};
  visor_e2e::write_config(a.v, c);
  net.start(b);
  REQUIRE(eventually([&] { return net.bound(b.v.pk); }, 10s));
  net.start(a);
  auto up_to_b = [&](uint16_t port) {
    for (const auto& t : tp_ls(a.v))
      if (t.as_object().at("remote_pk") == b.v.pk.c_str() && t.as_object().at("state") == "up"
          && t.as_object().at("remote_addr") == ("192.0.2.2:" + std::to_string(port)).c_str())
        return true;
    return false;
  };
  REQUIRE_MESSAGE(eventually([&] { return up_to_b(b.stcpr_port); }, 10s), st::read_text(a.v.log));
  b.v.p.kill_now();
  // noticed (A keeps re-dialing meanwhile: a dialing record may show)
  REQUIRE(eventually([&] { return none_up(a.v); }, 10s));
  auto t0 = std::chrono::steady_clock::now();
  net.start(b); // a random port again, bound anew at the AR
  CHECK_MESSAGE(eventually([&] { return up_to_b(b.stcpr_port); }, 25s), st::read_text(a.v.log));
  MESSAGE("persistent transport back "
          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                    - t0)
               .count()
          << " ms after the peer restarted");
}

namespace {

/// A fake service discovery in the hub: GET /api/services lists what the
/// test says.
struct fake_sd {
  skywire::io::io_runtime io{1}; // started in the hub namespace
  std::mutex mtx;
  std::vector<skywire::wire::service_entry> visors;
  std::vector<std::string> asked;
  std::unique_ptr<skywire::http::server> srv;
  uint16_t port = 0;

  fake_sd() {
    skywire::http::router r;
    r.get("/api/services", [this](skywire::http::request req, skywire::http::responder res) {
      std::lock_guard<std::mutex> l{mtx};
      asked.push_back(req.target);
      res.send(skywire::http::make_response(200, skywire::wire::encode_service_list(visors)));
    });
    skywire::http::server_config cfg;
    cfg.host = hub_ip;
    cfg.port = 0;
    srv = std::make_unique<skywire::http::server>(io, cfg, std::move(r));
    auto p = srv->start();
    REQUIRE(p);
    port = *p;
  }
  ~fake_sd() {
    srv->stop();
    io.stop();
  }
  void list(const node& n) {
    auto pk = skywire::public_key::from_hex(n.v.pk);
    REQUIRE(pk);
    std::lock_guard<std::mutex> l{mtx};
    visors = {{*pk, skywire::port{n.stcpr_port}, "visor", "", false, {n.ip}, {}, {}}};
  }
};

} // namespace

TEST_CASE("public autoconnect: an automatic stcpr transport to a listed visor, topped up after "
          "a drop") {
  if (!namespaces_here())
    return;
  stcpr_net net;
  fake_sd sd;
  auto& a = net.add_node("a", "192.0.2.1");
  auto& b = net.add_node("b", "192.0.2.2");
  auto c = net.config_of(a);
  c["transport"].as_object()["public_autoconnect"] = true;
  c["launcher"].as_object()["service_discovery"] = net.url(sd.port);
  visor_e2e::write_config(a.v, c);
  net.start(b);
  sd.list(b);
  REQUIRE(eventually([&] { return net.bound(b.v.pk); }, 10s));
  net.start(a);
  auto automatic_to_b = [&] {
    for (const auto& t : tp_ls(a.v)) {
      const auto& o = t.as_object();
      if (o.at("remote_pk") == b.v.pk.c_str() && o.at("state") == "up"
          && o.at("label") == "automatic" && o.at("type") == "stcpr")
        return true;
    }
    return false;
  };
  REQUIRE_MESSAGE(eventually(automatic_to_b, 10s), st::read_text(a.v.log));
  {
    std::lock_guard<std::mutex> l{sd.mtx};
    REQUIRE_FALSE(sd.asked.empty());
    CHECK(sd.asked[0] == "/api/services?type=visor&quantity=3");
  }
  CHECK(call_json(a.v, {"info"}).as_object()["transports"].as_object()["public_autoconnect"]
        == true);
  // the peer dies: the automatic transport ends; once the peer is back, it is
  // topped up (the reference would also retry here, being below its 3; the
  // case it gives up for good is in tests/actors/transport/autoconnect_test)
  b.v.p.kill_now();
  REQUIRE(eventually([&] { return none_up(a.v); }, 10s));
  auto t0 = std::chrono::steady_clock::now();
  net.start(b);
  sd.list(b);
  CHECK_MESSAGE(eventually(automatic_to_b, 25s), st::read_text(a.v.log));
  MESSAGE("automatic transport topped up "
          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                    - t0)
               .count()
          << " ms after the peer restarted");
}
