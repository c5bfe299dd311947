// The address resolver end to end on 127.0.0.1: actor + HTTP server + UDP
// side, requests through the project's HTTP client, signed as the Go client
// signs them, and visors' control channels built from KCP control blocks
// over real UDP sockets. One io shard, so the UDP side, the HTTP
// connections and the events they send the actor are ordered; every wait is
// on a message or an acknowledgement, bounded.
#include <doctest/doctest.h>

#include <atomic>

#include <boost/json.hpp>

#include "actors/services/address_resolver/service.hpp"
#include "runtime/http/client.hpp"
#include "support.hpp"
#include "tests/support/http_service.hpp"

using namespace ar_test;
namespace ar = skywire::services::address_resolver;
namespace http = skywire::http;
using namespace std::chrono_literals;
using skywire::test::http_call;

namespace {

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  skywire::io::io_runtime io{1};
};

/// A client as the Go addrresolver client: fetches its nonce, signs body||nonce.
struct client {
  uint16_t port;
  skywire::crypto::keypair kp;

  uint64_t nonce() const {
    auto r = http_call(port, http::verb::get, "/security/nonces/" + kp.pk.hex());
    REQUIRE(r.status == 200);
    auto n = skywire::wire::decode_nonce_response(r.body);
    REQUIRE(n);
    return n->next_nonce;
  }
  http::response send(http::verb m, std::string target, std::string body = {}) const {
    auto n = nonce();
    auto sig = skywire::crypto::sign(skywire::wire::httpauth_payload(body, n), kp.sk);
    return http_call(port, m, std::move(target), body,
                     skywire::wire::httpauth_header_list({kp.pk, n, sig, std::nullopt}));
  }
  http::response resolve(std::string_view type, const public_key& pk) const {
    return send(http::verb::get, "/resolve/" + std::string{type} + "/" + pk.hex());
  }
};

ar::ar_config local_config(bool test_mode) {
  ar::ar_config cfg;
  cfg.port = 0;
  cfg.udp = {{"127.0.0.1", 0}};
  cfg.test_mode = test_mode;
  return cfg;
}

std::string metric(uint16_t port, const std::string& name) {
  auto body = http_call(port, http::verb::get, "/metrics").body;
  auto at = body.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  auto start = at + name.size() + 2;
  return body.substr(start, body.find('\n', start) - start);
}

} // namespace

TEST_CASE("address resolver over HTTP: stcpr bind, resolve, unbind; forged and replayed refused") {
  fixture f;
  auto h = ar::spawn_address_resolver(f.sys, f.io, local_config(true));
  REQUIRE(h);
  REQUIRE(h->port != 0);
  auto a = key("alice"), b = key("bob");
  client ca{h->port, a}, cb{h->port, b};
  auto body = wt::encode_local_addresses_line({skywire::port{7777}, {"127.0.0.1"}});
  auto r = ca.send(http::verb::post, "/bind/stcpr", body);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  r = cb.resolve("stcpr", a.pk);
  REQUIRE(r.status == 200);
  auto vd = wt::decode_visor_data(r.body);
  REQUIRE(vd);
  CHECK(vd->remote_addr == "127.0.0.1");
  CHECK(vd->is_local); // both on this host
  CHECK(vd->local.prt.value == 7777);
  auto t = wt::decode_ar_transports(http_call(h->port, http::verb::get, "/transports").body);
  REQUIRE(t);
  CHECK(t->stcpr == std::vector<public_key>{a.pk});

  // a replayed request, and one without headers
  auto n = ca.nonce();
  auto sig = skywire::crypto::sign(skywire::wire::httpauth_payload(body, n), a.sk);
  auto headers = skywire::wire::httpauth_header_list({a.pk, n, sig, std::nullopt});
  CHECK(http_call(h->port, http::verb::post, "/bind/stcpr", body, headers).status == 200);
  r = http_call(h->port, http::verb::post, "/bind/stcpr", body, headers);
  CHECK(r.status == 401);
  CHECK(r.body.find("SW-Nonce does not match") != std::string::npos);
  CHECK(http_call(h->port, http::verb::get, "/resolve/stcpr/" + a.pk.hex()).status == 401);
  // unknown paths answer in the reference's shape
  r = http_call(h->port, http::verb::get, "/bind/nothing");
  CHECK(r.status == 404);
  CHECK(boost::json::parse(r.body).at("error").is_string());

  CHECK(ca.send(http::verb::delete_, "/bind/stcpr", "{}").status == 200);
  CHECK(cb.resolve("stcpr", a.pk).status == 404);
  h->stop();
}

TEST_CASE("address resolver over HTTP: a forged bind is refused, bindings expire") {
  fixture f;
  std::atomic<int64_t> now{t0};
  auto cfg = local_config(true);
  cfg.entry_ttl = 60s;
  cfg.clock = [&now] { return now.load(); };
  auto h = ar::spawn_address_resolver(f.sys, f.io, cfg);
  REQUIRE(h);
  auto a = key("alice"), b = key("bob"), m = key("mallory");
  client ca{h->port, a}, cb{h->port, b};
  auto body = wt::encode_local_addresses_line({skywire::port{7777}, {"127.0.0.1"}});
  // mallory signs, claiming alice's key
  auto n = ca.nonce();
  auto sig = skywire::crypto::sign(skywire::wire::httpauth_payload(body, n), m.sk);
  auto r = http_call(h->port, http::verb::post, "/bind/stcpr", body,
                     skywire::wire::httpauth_header_list({a.pk, n, sig, std::nullopt}));
  CHECK(r.status == 401);
  CHECK(r.body.find("invalid signature") != std::string::npos);
  CHECK(cb.resolve("stcpr", a.pk).status == 404);

  REQUIRE(ca.send(http::verb::post, "/bind/stcpr", body).status == 200);
  now = t0 + 59 * sec;
  CHECK(cb.resolve("stcpr", a.pk).status == 200);
  now = t0 + 60 * sec;
  CHECK(cb.resolve("stcpr", a.pk).status == 404);
  h->stop();
}

TEST_CASE("address resolver over HTTP: loopback stcpr binds refused outside test mode") {
  fixture f;
  auto h = ar::spawn_address_resolver(f.sys, f.io, local_config(false));
  REQUIRE(h);
  client ca{h->port, key("alice")};
  auto r = ca.send(http::verb::post, "/bind/stcpr",
                   wt::encode_local_addresses_line({skywire::port{7777}, {"127.0.0.1"}}));
  CHECK(r.status == 400);
  CHECK(r.body.find("Invalid IP address in request") != std::string::npos);
  h->stop();
}

TEST_CASE("address resolver: sudph channels over UDP, resolve over HTTP, the push arrives") {
  fixture f;
  auto h = ar::spawn_address_resolver(f.sys, f.io, local_config(false));
  REQUIRE(h);
  REQUIRE(h->udp_ports.size() == 1);
  auto udp_port = h->udp_ports[0];
  auto a = key("alice"), b = key("bob");
  udp_visor va{udp_port, 0xa0a0a0a0}, vb{udp_port, 0xb0b0b0b0};
  wt::local_addresses la_a{skywire::port{va.local_port()}, {"127.0.0.1"}};
  wt::local_addresses la_b{skywire::port{vb.local_port()}, {"127.0.0.1"}};
  REQUIRE(va.bind(a, la_a));
  REQUIRE(vb.bind(b, la_b));
  client ca{h->port, a}, cb{h->port, b};

  // A resolves B: B's UDP endpoint as the resolver saw it...
  auto r = ca.resolve("sudph", b.pk);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  auto vd = wt::decode_visor_data(r.body);
  REQUIRE(vd);
  CHECK(vd->remote_addr == "127.0.0.1:" + std::to_string(vb.local_port()));
  CHECK(vd->local == la_b);
  CHECK(vd->is_local);
  // ...and B is pushed A's, to punch a hole toward it
  auto push = vb.wait_message(3s);
  REQUIRE(push);
  auto p = wt::decode_ar_push(*push);
  REQUIRE(p);
  CHECK(p->pk == a.pk);
  CHECK(p->addr == "127.0.0.1:" + std::to_string(va.local_port()));
  CHECK_FALSE(va.wait_message(50ms)); // nothing for A

  // garbage and oversized datagrams on the same socket change nothing
  va.raw(bytes_of("holepunch"));
  va.raw(std::vector<uint8_t>(3000, 0x52));
  va.raw(std::vector<uint8_t>(40, 0x51));
  udp_visor stranger{udp_port, 0x77777777};
  stranger.raw(std::vector<uint8_t>(1400, 0x53));
  va.send(wt::ar_heartbeat); // the heartbeat keeps it
  REQUIRE(va.wait_acked(3s));
  r = cb.resolve("sudph", a.pk);
  REQUIRE(r.status == 200);
  CHECK(wt::decode_visor_data(r.body)->remote_addr
        == "127.0.0.1:" + std::to_string(va.local_port()));
  auto back = va.wait_message(3s);
  REQUIRE(back);
  CHECK(wt::decode_ar_push(*back)->pk == b.pk);
  CHECK(metric(h->port, "ar_sudph_heartbeats_total") == "1");
  CHECK(metric(h->port, "ar_sudph_oversized_total") == "1");
  CHECK(metric(h->port, "ar_sudph_garbage_total") == "1"); // holepunch
  CHECK(metric(h->port, "ar_sudph_stray_total") == "2");   // KCP-looking, no conversation
  CHECK(metric(h->port, "ar_sudph_bound_channels") == "2");
  auto t = wt::decode_ar_transports(http_call(h->port, http::verb::get, "/transports").body);
  REQUIRE(t);
  CHECK(t->sudph.size() == 2);
  CHECK(t->stcpr.empty());

  // delBind removes the binding
  va.send(wt::ar_unbind);
  REQUIRE(va.wait_acked(3s));
  CHECK(cb.resolve("sudph", a.pk).status == 404);
  CHECK(metric(h->port, "ar_sudph_bound_channels") == "1");
  CHECK(metric(h->port, "ar_sudph_unbinds_total") == "1");
  h->stop();
}
