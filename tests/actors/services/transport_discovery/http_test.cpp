// The transport discovery end to end on 127.0.0.1: actor + HTTP server,
// requests through the project's HTTP client, signed as the Go client signs
// them (nonce fetched from /security/nonces first). The service's clock is
// the test's, so expiry needs no waiting.
#include <doctest/doctest.h>

#include <atomic>

#include <boost/json.hpp>

#include "actors/services/transport_discovery/service.hpp"
#include "runtime/http/client.hpp"
#include "support.hpp"
#include "tests/support/http_service.hpp"

using namespace skywire;
using namespace tpd_test;
namespace tpd = skywire::services::transport_discovery;
using namespace std::chrono_literals;

namespace {

using fixture = skywire::test::service_fixture;

using skywire::test::http_call;

/// A client as the Go tpdclient: fetches its nonce, signs body||nonce.
struct client {
  uint16_t port;
  crypto::keypair kp;

  uint64_t nonce() const {
    auto r = http_call(port, http::verb::get, "/security/nonces/" + kp.pk.hex());
    REQUIRE(r.status == 200);
    auto n = wire::decode_nonce_response(r.body);
    REQUIRE(n);
    CHECK(n->edge == kp.pk);
    return n->next_nonce;
  }
  http::header_list auth(const std::string& body, uint64_t n) const {
    auto sig = crypto::sign(wire::httpauth_payload(body, n), kp.sk);
    return wire::httpauth_header_list({kp.pk, n, sig, std::nullopt});
  }
  http::response send(http::verb m, std::string target, std::string body = {}) const {
    auto headers = auth(body, nonce());
    return http_call(port, m, std::move(target), std::move(body), std::move(headers));
  }
  http::response post(const std::vector<wt::signed_entry>& list) const {
    return send(http::verb::post, "/transports/", wt::encode_tpd_post_body(list));
  }
};

std::string error_text(const http::response& r) {
  return std::string{boost::json::parse(r.body).at("error").as_string()};
}

} // namespace

TEST_CASE(
  "transport discovery over HTTP: register, look up, delete, refuse forgeries and replays") {
  fixture f;
  auto nm = key("nm");
  std::atomic<int64_t> now{t0};
  tpd::tpd_config cfg;
  cfg.port = 0;
  cfg.entry_ttl = 600s;
  cfg.whitelist = {nm.pk};
  cfg.clock = [&now] { return now.load(); };
  auto h = tpd::spawn_transport_discovery(f.sys, f.io, cfg);
  REQUIRE(h);
  REQUIRE(h->port != 0);
  auto port = h->port;
  auto a = key("alice"), b = key("bob"), c = key("carol"), m = key("mallory");
  client ca{port, a}, cb{port, b}, cc{port, c};

  // register two transports with freshly signed entries
  auto ab = signed_both(a, b), ac = signed_both(a, c, "sudph");
  auto r = cb.post({ab});
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(r.body == wt::encode_tpd_post_body({ab}));
  CHECK(ca.post({ac}).status == 201);

  // get by id, by edge
  r = cc.send(http::verb::get, "/transports/id:" + ab.entry.id.to_string());
  CHECK(r.status == 200);
  auto got = wt::decode_entry_json(r.body);
  REQUIRE(got);
  CHECK(*got == ab.entry);
  r = cc.send(http::verb::get, "/transports/edge:" + a.pk.hex());
  CHECK(r.status == 200);
  CHECK(boost::json::parse(r.body).as_array().size() == 2);
  r = http_call(port, http::verb::get, "/all-transports");
  CHECK(r.status == 200);
  CHECK(boost::json::parse(r.body).as_array().size() == 2);
  CHECK(r.header("X-Total-Count") == std::optional<std::string_view>{"2"});

  // forged, unsigned, half-signed, foreign: refused, nothing stored
  auto forged = sign_by(entry_of(b, c), {&b});
  (void)forged.set_signature(c.pk, crypto::sign(forged.entry.to_binary(), m.sk));
  r = cb.post({forged});
  CHECK(r.status == 403);
  CHECK(error_text(r).find("does not verify") != std::string::npos);
  r = cb.post({sign_by(entry_of(b, c), {})});
  CHECK(r.status == 400);
  r = cb.post({sign_by(entry_of(b, c), {&b})});
  CHECK(r.status == 400);
  CHECK(error_text(r).find("not signed by both edges") != std::string::npos);
  r = ca.post({signed_both(b, c)});
  CHECK(r.status == 403);
  CHECK(http_call(port, http::verb::get, "/all-transports").header("X-Total-Count")
        == std::optional<std::string_view>{"2"});

  // no httpauth at all, and a replayed request: 401 in the reference's shape
  auto body = wt::encode_tpd_post_body({signed_both(b, c)});
  r = http_call(port, http::verb::post, "/transports/", body);
  CHECK(r.status == 401);
  CHECK(wire::decode_httpauth_error(r.body)->message == "SW-Public missing");
  auto headers = cb.auth(body, cb.nonce());
  CHECK(http_call(port, http::verb::post, "/transports/", body, headers).status == 201);
  r = http_call(port, http::verb::post, "/transports/", body, headers);
  CHECK(r.status == 401);
  CHECK(wire::decode_httpauth_error(r.body)->message == "SW-Nonce does not match");

  // delete: refused for a non-edge, done by an edge
  auto del = "/transports/id:" + ab.entry.id.to_string();
  r = cc.send(http::verb::delete_, del);
  CHECK(r.status == 403);
  r = ca.send(http::verb::delete_, del);
  CHECK(r.status == 200);
  CHECK(r.body == "transport deleted");
  CHECK(cc.send(http::verb::get, "/transports/id:" + ab.entry.id.to_string()).status == 404);

  // expiry: 600 s later, on the service's clock, only what was refreshed remains
  now += 300 * sec;
  CHECK(ca.post({ac}).status == 201); // refreshed
  now += 301 * sec;
  r = cc.send(http::verb::get, "/transports/edge:" + c.pk.hex());
  CHECK(r.status == 200);
  auto left = boost::json::parse(r.body).as_array();
  REQUIRE(left.size() == 1);
  CHECK(left[0].at("t_id").as_string() == ac.entry.id.to_string());

  // network monitor deregistration
  auto nm_text = nm.pk.hex();
  auto nm_sig = crypto::sign({reinterpret_cast<const uint8_t*>(nm_text.data()), nm_text.size()},
                             nm.sk);
  r = http_call(port, http::verb::delete_, "/transports/deregister",
                "[\"" + ac.entry.id.to_string() + "\"]",
                {{"NM-PK", nm_text}, {"NM-Sign", nm_sig.hex()}});
  CHECK(r.status == 200);
  CHECK(http_call(port, http::verb::get, "/all-transports").body == "[]\n");

  // health, legacy, routing and limits
  r = http_call(port, http::verb::get, "/health");
  CHECK(r.status == 200);
  CHECK(boost::json::parse(r.body).at("build_info").is_object());
  CHECK(http_call(port, http::verb::post, "/statuses").status == 410);
  CHECK(http_call(port, http::verb::get, "/transports/").status == 405);
  CHECK(http_call(port, http::verb::get, "/nothing").status == 404);
  CHECK(http_call(port, http::verb::post, "/transports/", std::string(70 * 1024, ' ')).status
        == 413);
  r = http_call(port, http::verb::get, "/metrics");
  CHECK(r.body.find("tpd_registrations_forged_total 1") != std::string::npos);
  CHECK(r.body.find("tpd_http_requests_total") != std::string::npos);
  h->stop();
}

TEST_CASE("transport discovery over HTTP: a second instance cannot bind the same port") {
  fixture f;
  tpd::tpd_config cfg;
  cfg.port = 0;
  auto h = tpd::spawn_transport_discovery(f.sys, f.io, cfg);
  REQUIRE(h);
  tpd::tpd_config dup;
  dup.port = h->port;
  CHECK_FALSE(tpd::spawn_transport_discovery(f.sys, f.io, dup));
  h->stop();
}
