// The discovery end to end: actor + HTTP server on 127.0.0.1, entries signed
// with crypto::sign, requests through the project's HTTP client.
#include <doctest/doctest.h>

#include <thread>

#include <boost/json.hpp>

#include "actors/services/dmsg_discovery.hpp"
#include "runtime/http/client.hpp"
#include "tests/support/http_service.hpp"
#include "support.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace std::chrono_literals;
using namespace test_support;
namespace dm = skywire::wire::dmsg;
namespace svc = skywire::services;

namespace {

using fixture = skywire::test::service_fixture;

using skywire::test::http_call;

} // namespace

TEST_CASE("dmsg discovery over HTTP: register, fetch, refuse forgeries and replays") {
  fixture f;
  svc::dmsg_discovery_config cfg;
  cfg.port = 0;
  cfg.whitelist = {key("nm").pk};
  auto h = svc::spawn_dmsg_discovery(f.sys, f.io, cfg);
  REQUIRE(h);
  REQUIRE(h->port != 0);
  auto port = h->port;
  auto now = svc::system_unix_ns();

  auto s1 = key("srv-a"), s2 = key("srv-b"), c = key("cli-a");
  auto e1 = server_entry(s1, 0, now, "198.51.100.10:8081", 100);
  auto e2 = server_entry(s2, 0, now, "198.51.100.11:8081", 300);
  auto ce = client_entry(c, 0, now, {s1.pk, s2.pk});
  CHECK(http_call(port, http::verb::post, "/dmsg-discovery/entry/", dm::encode(e1)).status == 200);
  CHECK(
    http_call(port, http::verb::post, "/dmsg-discovery/entry/" + s2.pk.hex(), dm::encode(e2)).status
    == 200);
  CHECK(http_call(port, http::verb::post, "/dmsg-discovery/entry/", dm::encode(ce)).status == 200);

  auto r = http_call(port, http::verb::get, "/dmsg-discovery/entry/" + c.pk.hex());
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  auto got = dm::decode(r.body);
  REQUIRE(got);
  CHECK(*got == ce);
  CHECK_FALSE(svc::verify_signature(*got));

  r = http_call(port, http::verb::get, "/dmsg-discovery/available_servers");
  CHECK(r.status == 200);
  auto list = dm::decode_list(r.body);
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].static_pk == s2.pk); // most free sessions first
  CHECK(http_call(port, http::verb::get, "/dmsg-discovery/all_servers").status == 200);
  r = http_call(port, http::verb::get, "/dmsg-discovery/entries");
  CHECK(r.body == "[\"" + c.pk.hex() + "\"]");

  // forged signature -> 401; replay -> 422; loopback address -> 422 (not test mode)
  auto forged = server_entry(s1, 1, now, "198.51.100.99:8081", 100);
  sign(forged, c.sk);
  r = http_call(port, http::verb::post, "/dmsg-discovery/entry/", dm::encode(forged));
  CHECK(r.status == 401);
  CHECK(r.body == R"({"message":"invalid signature","code":401})");
  CHECK(http_call(port, http::verb::post, "/dmsg-discovery/entry/", dm::encode(e1)).status == 422);
  auto lo = server_entry(s1, 2, now, "127.0.0.1:8081", 1);
  CHECK(http_call(port, http::verb::post, "/dmsg-discovery/entry/", dm::encode(lo)).status == 422);
  auto stale = server_entry(s1, 3, now - 120 * 1'000'000'000LL, "198.51.100.10:8081", 1);
  CHECK(http_call(port, http::verb::post, "/dmsg-discovery/entry/", dm::encode(stale)).status
        == 422);

  // limits and routing
  CHECK(
    http_call(port, http::verb::post, "/dmsg-discovery/entry/", std::string(70 * 1024, ' ')).status
    == 413);
  CHECK(http_call(port, http::verb::get, "/dmsg-discovery/entry/").status == 405); // POST-only path
  CHECK(http_call(port, http::verb::get, "/dmsg-discovery/nothing").status == 404);
  CHECK(http_call(port, http::verb::put, "/dmsg-discovery/entries").status == 405);
  r = http_call(port, http::verb::get, "/dmsg-discovery/entry/" + key("none").pk.hex());
  CHECK(r.status == 404);

  // deregister with network-monitor auth
  auto nm = key("nm");
  auto nm_text = nm.pk.hex();
  auto sig = crypto::sign({reinterpret_cast<const uint8_t*>(nm_text.data()), nm_text.size()},
                          nm.sk);
  auto body = "[\"" + c.pk.hex() + "\"]";
  CHECK(http_call(port, http::verb::delete_, "/dmsg-discovery/deregister", body).status == 401);
  r = http_call(port, http::verb::delete_, "/dmsg-discovery/deregister", body,
           {{"NM-PK", nm_text}, {"NM-Sign", sig.hex()}});
  CHECK(r.status == 200);
  CHECK(http_call(port, http::verb::get, "/dmsg-discovery/entry/" + c.pk.hex()).status == 404);

  r = http_call(port, http::verb::get, "/health");
  CHECK(r.status == 200);
  CHECK(boost::json::parse(r.body).at("build_info").is_object());
  r = http_call(port, http::verb::get, "/metrics");
  CHECK(r.body.find("dmsg_discovery_server_entries 2") != std::string::npos);
  CHECK(r.body.find("dmsg_discovery_http_requests_total") != std::string::npos);
  h->stop();
}

TEST_CASE("dmsg discovery over HTTP: test mode accepts loopback, server entries expire") {
  fixture f;
  svc::dmsg_discovery_config cfg;
  cfg.port = 0;
  cfg.test_mode = true;
  cfg.server_ttl = 300ms;
  cfg.sweep_interval = 100ms;
  auto h = svc::spawn_dmsg_discovery(f.sys, f.io, cfg);
  REQUIRE(h);
  auto s = key("srv-local");
  auto e = server_entry(s, 0, svc::system_unix_ns(), "127.0.0.1:8081", 5);
  CHECK(http_call(h->port, http::verb::post, "/dmsg-discovery/entry/", dm::encode(e)).status
        == 200);
  CHECK(http_call(h->port, http::verb::get, "/dmsg-discovery/entry/" + s.pk.hex()).status == 200);
  // TTL 300 ms, sweep every 100 ms: wait (bounded) until the entry is gone
  // and the sweep has counted it
  unsigned status = 200;
  http::response m;
  skywire::test::eventually(
    [&] {
      status = http_call(h->port, http::verb::get, "/dmsg-discovery/entry/" + s.pk.hex()).status;
      m = http_call(h->port, http::verb::get, "/metrics");
      return status == 404 && m.body.find("dmsg_discovery_expired_total 1") != std::string::npos;
    },
    5s, 20ms);
  CHECK(status == 404);
  CHECK(m.body.find("dmsg_discovery_expired_total 1") != std::string::npos); // swept
  // a second discovery cannot bind the same port
  svc::dmsg_discovery_config dup;
  dup.port = h->port;
  auto h2 = svc::spawn_dmsg_discovery(f.sys, f.io, dup);
  CHECK_FALSE(h2);
  h->stop();
}
