// The sudph transport type wired into transport managers, in one process on
// 127.0.0.1: two managers, each with a sudph_network, against the address
// resolver service (HTTP resolve with httpauth, the UDP/KCP control channel):
// `tp add -t sudph` up on both sides with the same ID, pings both ways, the
// responder's session confirmed (no longer pending in the socket's bounds),
// the resolver's push, `tp rm` closing both sides; a flood of garbage,
// oversized, KCP-looking and half-open (slowloris) datagrams on the sudph
// port beside the transport, which carries on; a redial to the next
// candidate when the first is silent; a symmetric UDP firewall found by STUN
// (sudph not offered, in words); stop() unbinding at the resolver.
#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <thread>

#include "actors/services/address_resolver/service.hpp"
#include "actors/transport/ar_client.hpp"
#include "actors/transport/sudph_network.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "support.hpp"
#include "tests/actors/transport/manager_support.hpp"
#include "tests/support/http_service.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace skywire::transport;
using namespace std::chrono_literals;
using namespace mgr_test;
using namespace sudph_test;
using udp = boost::asio::ip::udp;
namespace ar = skywire::services::address_resolver;
namespace wt = skywire::wire::transport;

namespace {

/// Polls `fn` every 10 ms until it holds or `limit` passed (for states
/// nothing reports: the resolver's table, a snapshot refreshed each second).
template <class F>
bool eventually(F fn, std::chrono::milliseconds limit = 5s) {
  return skywire::test::eventually(fn, limit, 10ms);
}

/// The address resolver of a test, stopped before the world goes.
struct resolver {
  ar::ar_handle h;
  explicit resolver(world& w) {
    ar::ar_config c;
    c.port = 0;
    c.udp = {{"127.0.0.1", 0}};
    auto made = ar::spawn_address_resolver(w.sys, w.io, c);
    REQUIRE(made);
    h = std::move(*made);
  }
  ~resolver() { h.stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(h.port); }
  std::string udp_address() const { return "127.0.0.1:" + std::to_string(h.udp_ports.at(0)); }
  /// The keys bound for sudph (GET /transports, public).
  std::vector<public_key> sudph_keys() const {
    auto r = skywire::test::http_call(h.port, http::verb::get, "/transports");
    auto t = wt::decode_ar_transports(r.body);
    REQUIRE(t);
    return t->sudph;
  }
  bool bound(const public_key& pk) const {
    auto k = sudph_keys();
    return std::find(k.begin(), k.end(), pk) != k.end();
  }
};

struct sudph_node {
  crypto::keypair key;
  std::shared_ptr<sudph_network> net;
  std::shared_ptr<fake_registrar> reg = std::make_shared<fake_registrar>();
  api::transport_manager_actor mgr;
  std::unique_ptr<caf::scoped_actor> events;
};

struct sudph_options {
  std::vector<std::string> stun_servers;
  /// Instead of the resolver's answer (a test of the candidates).
  std::function<void(const public_key&, std::function<void(expected<wt::visor_data>)>)> resolve;
  bool wait_bound = true;
  transport_core::timeouts limits;
};

sudph_node start_sudph(world& w, const resolver& r, std::string_view seed, sudph_options o = {}) {
  sudph_node n;
  n.key = sudph_test::key(seed);
  auto client = ar_client::make(w.io, r.url(), n.key.pk, n.key.sk);
  REQUIRE(client);
  sudph_network_config c;
  c.listen_host = "127.0.0.1";
  c.ar_address = r.udp_address();
  c.resolve = o.resolve ? o.resolve : [ar = *client](const public_key& pk, auto cb) {
    ar.resolve("sudph", pk, cb);
  };
  c.local_addresses = [] { return std::vector<std::string>{"127.0.0.1"}; };
  c.stun_servers = o.stun_servers;
  c.stun.timeout = 50ms;
  c.ar_channel.heartbeat = 200ms;
  c.redial_delay = 50ms;
  n.net = sudph_network::make(w.io, n.key, c);
  manager_config mc;
  mc.local = n.key;
  mc.networks.push_back(n.net);
  mc.registrar = n.reg;
  mc.tick = 20ms;
  mc.limits = o.limits;
  mc.dial_timeout = 8s;
  mc.shutdown_grace = 2s;
  spawn_manager(w, n, mc);
  REQUIRE(eventually([&] { return n.net->ready(); }));
  if (o.wait_bound && n.net->unavailable().empty())
    REQUIRE(eventually([&] { return n.net->ar_bound() && r.bound(n.key.pk); }));
  return n;
}

std::vector<std::string> types(world& w, sudph_node& n) {
  caf::scoped_actor self{w.sys};
  std::vector<std::string> out;
  self->request(n.mgr, 5s, api::tp_types_atom::value)
    .receive([&](std::vector<std::string>& v) { out = std::move(v); },
             [&](caf::error& err) { FAIL(describe(err)); });
  return out;
}

uint64_t socket_counter(const sudph_network& net, const char* k) {
  return net.info().at("socket").as_object().at(k).to_number<uint64_t>();
}

} // namespace

TEST_CASE("sudph_network: two managers build a sudph transport through the address resolver") {
  world w;
  resolver r{w};
  auto a = start_sudph(w, r, "sudph-net-a");
  auto b = start_sudph(w, r, "sudph-net-b");
  CHECK(types(w, a) == std::vector<std::string>{"sudph"});
  auto s = add(w, a, b.key.pk, "sudph");
  REQUIRE_MESSAGE(s, describe(s.error()));
  CHECK(s->type == "sudph");
  CHECK(s->state == "up");
  auto id = crypto::make_transport_id(a.key.pk, b.key.pk, "sudph");
  CHECK(s->id == id);
  auto eb = next_event(b);
  REQUIRE(eb.kind == "up");
  CHECK(eb.s.id == id);
  CHECK(eb.s.role == "responder");
  // data both ways
  CHECK(static_cast<bool>(ping(w, a, id)));
  CHECK(static_cast<bool>(ping(w, b, id)));
  // the responder registered the doubly signed entry
  CHECK(b.reg->wait([&](fake_registrar& f) { return f.registered.size() == 1; }));
  // the resolver pushed A's address to B, which punched toward A
  CHECK(eventually([&] {
    return b.net->info().at("address_resolver").as_object().at("pushes").to_number<uint64_t>() >= 1;
  }));
  // the manager confirmed B's session: it no longer holds a pending slot
  CHECK(eventually([&] {
    return socket_counter(*b.net, "incoming") == 1 && socket_counter(*b.net, "pending") == 0;
  }));
  CHECK(b.net->admission()->pending() == 0);
  auto info = a.net->info();
  CHECK(info.at("offered").as_bool());
  CHECK(info.at("nat").as_object().at("type") == "unknown");
  CHECK(info.at("address_resolver").as_object().at("state") == "bound");
  // tp rm on A closes both sides (a KCP session has no end of stream: the
  // route-0 Close tells B) and deregisters
  CHECK_FALSE(remove(w, a, id));
  auto db = next_event(b);
  REQUIRE(db.kind == "down");
  CHECK(is(db.err, transport_errc::peer_closed));
  CHECK(a.reg->wait([&](fake_registrar& f) { return f.deregistered.size() == 1; }));
  CHECK(b.reg->wait([&](fake_registrar& f) { return f.deregistered.size() == 1; }));
  CHECK(eventually([&] { return list(w, a).empty() && list(w, b).empty(); }));
  // a dial of a key nobody bound fails with the reason
  auto nobody = sudph_test::key("sudph-net-nobody").pk;
  auto f = add(w, a, nobody, "sudph");
  REQUIRE_FALSE(f);
  CHECK(describe(f.error()).find("not bound for sudph") != std::string::npos);
}

TEST_CASE(
  "sudph_network: a flood of hostile datagrams on the sudph port leaves a transport alone") {
  world w;
  resolver r{w};
  auto a = start_sudph(w, r, "sudph-flood-a");
  auto b = start_sudph(w, r, "sudph-flood-b");
  auto s = add(w, a, b.key.pk, "sudph");
  REQUIRE_MESSAGE(s, describe(s.error()));
  REQUIRE(next_event(b).kind == "up");
  udp::endpoint to_b{boost::asio::ip::make_address("127.0.0.1"), b.net->port()};
  std::mt19937 rng{42};
  std::string_view hp = wt::holepunch_datagram;
  // from several sources at once, while pings cross the transport
  std::vector<std::unique_ptr<raw_socket>> floods;
  for (int i = 0; i < 4; ++i)
    floods.push_back(std::make_unique<raw_socket>());
  for (int round = 0; round < 20; ++round) {
    for (auto& f : floods) {
      std::vector<uint8_t> junk(1 + rng() % 1400);
      for (auto& x : junk)
        x = static_cast<uint8_t>(rng());
      f->send(to_b, junk);
      f->send(to_b, std::vector<uint8_t>(3000, 0x52)); // oversized
      f->send(to_b, std::vector<uint8_t>(40, 0x51));   // KCP-looking, not KCP
      f->send(to_b, {reinterpret_cast<const uint8_t*>(hp.data()), hp.size()});
      f->send(to_b, kcp_push(static_cast<uint32_t>(rng()), 7, "no opening"));
      // a slowloris: a session opened and never continued
      f->send(to_b, kcp_push(static_cast<uint32_t>(rng()), 0, "get_n"));
    }
    CHECK(static_cast<bool>(ping(w, a, s->id)));
    CHECK(static_cast<bool>(ping(w, b, s->id)));
  }
  // the transport is up on both sides and nothing else came up
  auto la = list(w, a), lb = list(w, b);
  REQUIRE(la.size() == 1);
  REQUIRE(lb.size() == 1);
  CHECK(lb[0].state == "up");
  CHECK(next_event(b, 200ms).kind == "none");
  // the flood reached the socket (the kernel may drop some of a burst), and
  // the half-open sessions hold bounded slots: 8 per address (all of them
  // come from 127.0.0.1), whatever the number of openings
  CHECK(eventually([&] {
    return socket_counter(*b.net, "dropped_truncated") >= 40
           && socket_counter(*b.net, "dropped_malformed") >= 40;
  }));
  CHECK(socket_counter(*b.net, "pending") <= 8);
  CHECK(socket_counter(*b.net, "refused_pending") >= 40);
  CHECK(b.net->admission()->pending() <= 8);
  CHECK(static_cast<bool>(ping(w, a, s->id)));
}

TEST_CASE("sudph_network: a silent first candidate, then the next one (the manager redials)") {
  world w;
  resolver r{w};
  auto b = start_sudph(w, r, "sudph-redial-b");
  // A is told of a silent address first, then B's real one
  raw_socket silent;
  auto silent_port = silent.sock.local_endpoint().port();
  auto b_port = b.net->port();
  sudph_options o;
  o.resolve = [silent_port, b_port, bpk = b.key.pk](const public_key& pk, auto cb) {
    wt::visor_data vd;
    // B: a silent address first, then B's real one; anybody else: silence only
    vd.remote_addr = "127.0.0.1:" + std::to_string(pk == bpk ? b_port : silent_port);
    vd.is_local = true;
    vd.local.prt = skywire::port{silent_port};
    vd.local.addresses = {"127.0.0.1"};
    cb(vd);
  };
  // a short frames deadline, so the silent candidate fails fast
  o.limits.frames = 1s;
  auto a = start_sudph(w, r, "sudph-redial-a", o);
  caf::scoped_actor self{w.sys};
  expected<api::transport_summary> s = make_error(transport_errc::closed, "no answer");
  auto t0 = std::chrono::steady_clock::now();
  self
    ->request(a.mgr, 20s, api::tp_add_atom::value,
              api::transport_request{b.key.pk, "sudph", "user", 8'000})
    .receive([&](api::transport_summary& x) { s = std::move(x); },
             [&](caf::error& err) { s = std::move(err); });
  REQUIRE_MESSAGE(s, describe(s.error()));
  CHECK(s->state == "up");
  // the first attempt waited for its frames deadline on the silent one
  CHECK(std::chrono::steady_clock::now() - t0 >= 900ms);
  CHECK(s->remote_addr == "127.0.0.1:" + std::to_string(b_port));

  // nothing but silence: the dial deadline ends it, with the last attempt's error
  auto nobody = sudph_test::key("sudph-redial-c").pk;
  caf::error err;
  self
    ->request(a.mgr, 20s, api::tp_add_atom::value,
              api::transport_request{nobody, "sudph", "user", 2'500})
    .receive([&](api::transport_summary&) { FAIL("up with nobody"); },
             [&](caf::error& e) { err = std::move(e); });
  CHECK(is(err, transport_errc::dial_timeout));
  CHECK(describe(err).find("last error") != std::string::npos);
}

TEST_CASE("sudph_network: a symmetric UDP firewall found by STUN: sudph is not offered") {
  world w;
  resolver r{w};
  fake_stun server{w.io.context()};
  sudph_test::on_shard(w.io.context(), [&] {
    server.honour_change = false; // the changed answers never come back
    server.start();
  });
  auto ep = server.address(0, 0);
  sudph_options o;
  o.stun_servers = {"127.0.0.1:" + std::to_string(ep.port())};
  auto a = start_sudph(w, r, "sudph-stun-a", o);
  CHECK(a.net->nat() == nat_type::symmetric_udp_firewall);
  auto why = a.net->unavailable();
  CHECK(why.find("hole punching is impossible behind this NAT") != std::string::npos);
  CHECK(types(w, a).empty());
  auto f = add(w, a, sudph_test::key("sudph-stun-b").pk, "sudph");
  REQUIRE_FALSE(f);
  CHECK(is(f.error(), transport_errc::type_unavailable));
  CHECK(describe(f.error()).find("hole punching is impossible") != std::string::npos);
  auto info = a.net->info();
  CHECK_FALSE(info.at("offered").as_bool());
  CHECK(info.at("nat").as_object().at("type") == "symmetric UDP firewall");
  CHECK(info.at("listening").is_null());
  // not bound at the resolver
  CHECK_FALSE(r.bound(a.key.pk));
  sudph_test::on_shard(w.io.context(), [&] { server.close(); });
}

TEST_CASE("sudph_network: stop() unbinds at the resolver (delBind) and closes the socket") {
  world w;
  resolver r{w};
  auto a = start_sudph(w, r, "sudph-stop-a");
  auto port = a.net->port();
  REQUIRE(port != 0);
  caf::anon_send_exit(a.mgr, caf::exit_reason::user_shutdown);
  CHECK(eventually([&] { return !r.bound(a.key.pk); }));
  CHECK(eventually([&] { return a.net->port() == 0; }));
  // the port is free again
  CHECK(eventually([&] {
    auto s = skywire::io::udp_socket::open(w.io.context(), "127.0.0.1", port);
    return static_cast<bool>(s);
  }));
}

TEST_CASE("sudph_ar_address: the URL's host with its port, or 30178") {
  CHECK(*sudph_ar_address("http://127.0.0.1:9093") == "127.0.0.1:9093");
  CHECK(*sudph_ar_address("http://ar.skywire.skycoin.com") == "ar.skywire.skycoin.com:30178");
  CHECK(*sudph_ar_address("https://ar.example/") == "ar.example:30178");
  CHECK(*sudph_ar_address("http://[::1]:80/x") == "[::1]:80");
  CHECK(*sudph_ar_address("http://[::1]") == "[::1]:30178");
  CHECK_FALSE(sudph_ar_address("dmsg://02ab:80"));
  CHECK_FALSE(sudph_ar_address("http://:80"));
  CHECK_FALSE(sudph_ar_address(""));
}

TEST_CASE("sudph_network: a taken sudph_port makes it try the next ports, as stcpr") {
  skywire::io::io_runtime rt{1};
  auto taken = skywire::io::udp_socket::open(rt.context(), "127.0.0.1", 0);
  REQUIRE(taken);
  auto p = (*taken)->local_port();
  sudph_network_config c;
  c.listen_host = "127.0.0.1";
  c.listen_port = p;
  c.port_attempts = 8;
  auto net = sudph_network::make(rt, sudph_test::key("sudph-port"), c);
  REQUIRE_FALSE(net->listen([](io::byte_link_ptr, io::admission_ticket_ptr) {}));
  CHECK(net->port() > p);
  CHECK(net->port() < p + 8);
  // no address resolver, no STUN: ready at once, offered, nothing to bind
  CHECK(eventually([&] { return net->ready(); }));
  CHECK(net->unavailable().empty());
  CHECK(net->info().at("address_resolver").as_object().at("state") == "off");
  // one port only, taken: sudph is off, and says why
  c.port_attempts = 1;
  auto off = sudph_network::make(rt, sudph_test::key("sudph-port-2"), c);
  CHECK(off->listen([](io::byte_link_ptr, io::admission_ticket_ptr) {}));
  CHECK(off->unavailable().find("could not be opened") != std::string::npos);
  net->stop();
  off->stop();
  CHECK(eventually([&] { return net->port() == 0; }));
  sudph_test::on_shard(rt.context(), [&] { (*taken)->close(); });
}
