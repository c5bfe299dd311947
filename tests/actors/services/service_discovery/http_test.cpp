// The service discovery end to end on 127.0.0.1: actor + HTTP server, and
// the visor's own client (actors/transport/sd_client) registering, listing,
// refreshing and deleting, signed as the Go client signs; raw requests for
// the refusals. The service's clock is the test's, so expiry needs no waiting.
#include <doctest/doctest.h>

#include <atomic>
#include <future>

#include "actors/services/service_discovery/service.hpp"
#include "actors/transport/client_errors.hpp"
#include "actors/transport/sd_client.hpp"
#include "support.hpp"
#include "tests/support/http_service.hpp"

using namespace skywire;
using namespace sd_test;
using namespace std::chrono_literals;
namespace sd = skywire::services::service_discovery;
namespace tp = skywire::transport;

namespace {

using fixture = skywire::test::service_fixture;
using skywire::test::http_call;

template <class T, class Start>
T wait_for(Start&& start) {
  std::promise<T> pr;
  auto f = pr.get_future();
  start([&pr](T r) { pr.set_value(std::move(r)); });
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

tp::sd_client client_of(fixture& f, uint16_t port, const crypto::keypair& kp) {
  auto c = tp::sd_client::make(f.io, "http://127.0.0.1:" + std::to_string(port), kp.pk, kp.sk);
  REQUIRE(c);
  return *c;
}

expected<wire::service_entry> reg(const tp::sd_client& c, const wire::service_entry& s) {
  return wait_for<expected<wire::service_entry>>(
    [&](auto cb) { c.register_service(s, std::move(cb)); });
}

expected<std::vector<wire::service_entry>> list(const tp::sd_client& c, std::string type) {
  return wait_for<expected<std::vector<wire::service_entry>>>(
    [&](auto cb) { c.services(type, 0, std::move(cb)); });
}

} // namespace

TEST_CASE("service discovery over HTTP: register signed, list, expire, delete; refuse unsigned "
          "and foreign registrations") {
  fixture f;
  std::atomic<int64_t> now{t0};
  sd::sd_config cfg;
  cfg.port = 0;
  cfg.entry_ttl = 60s;
  cfg.test_mode = true;
  cfg.clock = [&now] { return now.load(); };
  auto h = sd::spawn_service_discovery(f.sys, f.io, cfg);
  REQUIRE(h);
  skywire::test::stop_at_exit guard{[&] { h->stop(); }};
  auto a = key("alice"), b = key("bob"), m = key("mallory");
  auto ca = client_of(f, h->port, a), cb = client_of(f, h->port, b), cm = client_of(f, h->port, m);

  // register: a proxy, a vpn, a visor (its caller IP, 127.0.0.1, among local_ips)
  auto proxy = with_country(service(a, 3, "skysocks"), "DE");
  auto stored = reg(ca, proxy);
  REQUIRE_MESSAGE(stored, describe(stored.error()));
  CHECK(*stored == proxy);
  REQUIRE(reg(cb, service(b, 44, "vpn")));
  auto visor = service(b, 7777, "visor");
  visor.local_ips = {"127.0.0.1"};
  REQUIRE(reg(cb, visor));

  // list with the visor's client, by type and alias; one entry by address
  auto l = list(cm, "skysocks");
  REQUIRE(l);
  CHECK(*l == std::vector<wire::service_entry>{proxy});
  auto r = http_call(h->port, http::verb::get, "/api/services?type=proxy");
  CHECK(r.body == wire::encode_service_list({proxy}) + "\n");
  auto visors = wait_for<expected<std::vector<wire::service_entry>>>(
    [&](auto cbk) { cm.public_visors(5, std::move(cbk)); });
  REQUIRE(visors);
  CHECK(*visors == std::vector<wire::service_entry>{visor});
  r = http_call(h->port, http::verb::get, "/api/services/" + a.pk.hex() + ":3?type=skysocks");
  CHECK(r.status == 200);
  CHECK(r.body == wire::encode_service(proxy) + "\n");
  r = http_call(h->port, http::verb::get, "/api/services?type=skysocks&country=US");
  CHECK(r.body == "[]\n");

  // unsigned: 401 in httpauth's shape; foreign (mallory signs for alice): 403
  r = http_call(h->port, http::verb::post, "/api/services",
                wire::encode_service(service(a, 4, "skysocks")));
  CHECK(r.status == 401);
  auto forged = service(a, 4, "skysocks");
  auto raw = [&](const crypto::keypair& kp, std::string body) {
    auto n = wire::decode_nonce_response(
      http_call(h->port, http::verb::get, "/security/nonces/" + kp.pk.hex()).body);
    REQUIRE(n);
    auto sig = crypto::sign(wire::httpauth_payload(body, n->next_nonce), kp.sk);
    return http_call(h->port, http::verb::post, "/api/services", body,
                     wire::httpauth_header_list({kp.pk, n->next_nonce, sig, std::nullopt}));
  };
  r = raw(m, wire::encode_service(forged));
  CHECK(r.status == 403);
  CHECK(r.body == "{\"code\":403,\"error\":\"using public key other than your own is "
                  "forbidden\"}\n");
  // the client refuses to sign another key's address before sending anything
  auto refused = reg(cm, forged);
  CHECK((!refused && tp::is(refused.error(), tp::client_errc::invalid_argument)));
  // the service's refusal reaches the client as an error with its status
  auto no_version = reg(ca, service(a, 5, "vpn", ""));
  REQUIRE(!no_version);
  CHECK(tp::http_status(no_version.error()) == 403);
  l = list(cm, "skysocks");
  REQUIRE(l);
  CHECK(l->size() == 1);

  // expiry: alice refreshes at +45 s, bob does not; at +75 s only alice is left
  now += 45 * sec;
  REQUIRE(reg(ca, proxy));
  now += 30 * sec;
  CHECK(list(cm, "vpn")->empty());
  CHECK(list(cm, "visor")->empty());
  CHECK(list(cm, "skysocks")->size() == 1);

  // delete: not mallory's to delete; alice's own
  auto del = [&](const tp::sd_client& c, std::string type, uint16_t p) {
    return wait_for<caf::error>([&](auto cbk) { c.remove_service(type, port{p}, std::move(cbk)); });
  };
  auto err = del(cm, "skysocks", 3); // mallory deletes "her" :3, which does not exist
  CHECK(tp::http_status(err) == 404);
  err = del(ca, "skysocks", 3);
  CHECK(!err);
  CHECK(list(cm, "skysocks")->empty());
}
