// The address resolver's API as a plain class, with a test clock and a fake
// UDP side: stcpr bind/resolve/unbind as the reference answers them, httpauth
// refusals (unsigned, forged, replayed), expiry, the address policy, sudph
// bindings and the hole-punch push, /transports, deregistration, limits.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "actors/services/address_resolver/api.hpp"
#include "runtime/crypto/keys.hpp"
#include "support.hpp"

using namespace ar_test;
namespace ar = skywire::services::address_resolver;
namespace http = skywire::http;
using namespace std::chrono_literals;

namespace {

struct fake_udp final : ar::sudph_control {
  struct push_rec {
    public_key to;
    uint64_t channel;
    std::string message;
  };
  std::vector<push_rec> pushes;
  std::vector<std::pair<public_key, uint64_t>> drops;
  void push(const public_key& pk, uint64_t channel, std::string message) override {
    pushes.push_back({pk, channel, std::move(message)});
  }
  void drop(const public_key& pk, uint64_t channel) override { drops.emplace_back(pk, channel); }
};

/// An API with a clock the test moves, and signing helpers.
struct harness {
  int64_t now = t0;
  std::shared_ptr<fake_udp> udp = std::make_shared<fake_udp>();
  std::unique_ptr<ar::ar_api> api;

  explicit harness(ar::ar_config cfg = {}) {
    cfg.clock = [this] { return now; };
    api = std::make_unique<ar::ar_api>(std::move(cfg), nullptr);
    api->set_sudph(udp);
  }

  /// A request of kp at its current nonce, from `remote`.
  http::response call(ar::ar_op op, http::verb m, std::string target, std::string body,
                      const skywire::crypto::keypair& kp, std::string remote,
                      std::map<std::string, std::string> params = {}) {
    auto req = signed_request(m, std::move(target), std::move(body), kp,
                              api->auth().next_nonce(kp.pk), std::move(remote));
    for (auto& [k, v] : params)
      req.params[k] = v;
    return api->handle(op, req);
  }
  http::response bind(const skywire::crypto::keypair& kp, const std::string& remote,
                      const wt::local_addresses& la) {
    return call(ar::ar_op::bind_stcpr, http::verb::post, "/bind/stcpr",
                wt::encode_local_addresses_line(la), kp, remote);
  }
  http::response resolve(const skywire::crypto::keypair& kp, const std::string& remote,
                         std::string type, const public_key& target) {
    return call(ar::ar_op::resolve, http::verb::get, "/resolve/" + type + "/" + target.hex(), {},
                kp, remote, {{"type", type}, {"pk", target.hex()}});
  }
  void sudph_bind(const public_key& pk, const std::string& ip, uint16_t port, uint64_t channel,
                  std::vector<std::string> addresses = {"192.168.1.10"}) {
    wt::visor_data d;
    d.remote_addr = ip + ":" + std::to_string(port);
    d.local = {skywire::port{port}, std::move(addresses)};
    REQUIRE(api->sudph_bound(pk, d, boost::asio::ip::make_address(ip), channel));
  }
};

std::string error_text(const http::response& r) {
  return std::string{boost::json::parse(r.body).at("error").as_string()};
}
std::string auth_text(const http::response& r) {
  return std::string{boost::json::parse(r.body).at("error").at("message").as_string()};
}

} // namespace

TEST_CASE("address resolver: stcpr bind and resolve as the reference answers them") {
  harness h;
  auto a = key("alice"), b = key("bob"), c = key("carol");
  wt::local_addresses la{skywire::port{7777}, {"203.0.113.5", "192.168.1.10"}};
  auto r = h.bind(a, "203.0.113.5:50000", la);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.body.empty());
  CHECK(h.api->auth().next_nonce(a.pk) == 1); // 200 consumes the nonce

  // a peer elsewhere: remote_addr (bare IP) and port; no local addresses
  r = h.resolve(b, "198.51.100.9:1234", "stcpr", a.pk);
  REQUIRE(r.status == 200);
  CHECK(r.body == R"({"remote_addr":"203.0.113.5","port":"7777","addresses":null})");
  auto vd = wt::decode_visor_data(r.body);
  REQUIRE(vd);
  CHECK_FALSE(vd->is_local);
  // a peer behind the same address: is_local and the local addresses first
  r = h.resolve(c, "203.0.113.5:40000", "stcpr", a.pk);
  REQUIRE(r.status == 200);
  CHECK(r.body
        == R"({"remote_addr":"203.0.113.5","is_local":true,"port":"7777","addresses":["203.0.113.5","192.168.1.10"]})");

  // no binding: 404 (the Go client maps it to ErrNoEntry), nonce kept
  auto before = h.api->auth().next_nonce(b.pk);
  r = h.resolve(b, "198.51.100.9:1234", "stcpr", c.pk);
  CHECK(r.status == 404);
  CHECK(error_text(r) == "no entry for this PK");
  CHECK(h.api->auth().next_nonce(b.pk) == before);
  r = h.resolve(b, "198.51.100.9:1234", "sudph", a.pk); // per type
  CHECK(r.status == 404);
  r = h.resolve(b, "198.51.100.9:1234", "dmsg", a.pk);
  CHECK(r.status == 404);
  auto req = signed_request(http::verb::get, "/resolve/stcpr/nonsense", {}, b,
                            h.api->auth().next_nonce(b.pk));
  req.params = {{"type", "stcpr"}, {"pk", "nonsense"}};
  CHECK(h.api->handle(ar::ar_op::resolve, req).status == 400);

  // unbind: 200 (also when there is nothing to unbind), then 404
  r = h.call(ar::ar_op::unbind_stcpr, http::verb::delete_, "/bind/stcpr", "{}", a,
             "203.0.113.5:50000");
  CHECK(r.status == 200);
  CHECK(h.resolve(b, "198.51.100.9:1234", "stcpr", a.pk).status == 404);
  r = h.call(ar::ar_op::unbind_stcpr, http::verb::delete_, "/bind/stcpr", "{}", a,
             "203.0.113.5:50000");
  CHECK(r.status == 200);
}

TEST_CASE("address resolver: stcpr binds the reference refuses, and the private ones") {
  harness h;
  auto a = key("alice");
  wt::local_addresses la{skywire::port{7777}, {"192.168.1.10"}};
  // behind a NAT: the address it binds from is not among its own
  auto r = h.bind(a, "203.0.113.5:50000", la);
  CHECK(r.status == 400);
  CHECK(error_text(r)
        == "Cannot bind " + a.pk.hex()
             + " to 203.0.113.5 (STCPR). Remote address not present in request: {7777 "
               "[192.168.1.10]}");
  // from a private, CGNAT, loopback, bridge or IPv6 address
  for (auto* remote : {"192.168.1.10:5000", "100.64.0.3:5000", "127.0.0.1:5000",
                       "172.17.0.1:5000", "[2001:db8::1]:5000"}) {
    CAPTURE(remote);
    auto ip = std::string{remote}.substr(0, std::string{remote}.rfind(':'));
    if (ip.front() == '[')
      ip = ip.substr(1, ip.size() - 2);
    r = h.bind(a, remote, {skywire::port{7777}, {ip}});
    CHECK(r.status == 400);
    CHECK(error_text(r).find("Invalid IP address in request") != std::string::npos);
  }
  // a body that is no LocalAddresses (the reference answers 200 and stores nothing)
  r = h.call(ar::ar_op::bind_stcpr, http::verb::post, "/bind/stcpr", "{\"port\":7777}", a,
             "203.0.113.5:50000");
  CHECK(r.status == 400);
  CHECK(error_text(r).starts_with("error bad input"));
  CHECK(h.api->store().size(ar::network::stcpr) == 0);

  // test mode: loopback and private addresses are accepted
  ar::ar_config cfg;
  cfg.test_mode = true;
  harness t{cfg};
  CHECK(t.bind(a, "127.0.0.1:5000", {skywire::port{7777}, {"127.0.0.1"}}).status == 200);
  auto res = t.resolve(key("bob"), "127.0.0.1:6000", "stcpr", a.pk);
  CHECK(res.status == 200);
  CHECK(wt::decode_visor_data(res.body)->is_local);
}

TEST_CASE("address resolver: unsigned, forged and replayed requests are refused") {
  harness h;
  auto a = key("alice"), m = key("mallory");
  wt::local_addresses la{skywire::port{7777}, {"203.0.113.5"}};
  auto body = wt::encode_local_addresses_line(la);
  http::request unsigned_req;
  unsigned_req.method = http::verb::post;
  unsigned_req.path = "/bind/stcpr";
  unsigned_req.body = body;
  unsigned_req.remote = "203.0.113.5:5000";
  auto r = h.api->handle(ar::ar_op::bind_stcpr, unsigned_req);
  CHECK(r.status == 401);
  CHECK(auth_text(r) == "SW-Public missing");

  // signed by mallory, claiming alice's key
  auto forged = signed_request(http::verb::post, "/bind/stcpr", body, m, 0, "203.0.113.5:5000");
  for (auto& [k, v] : forged.headers)
    if (k == "SW-Public")
      v = a.pk.hex();
  r = h.api->handle(ar::ar_op::bind_stcpr, forged);
  CHECK(r.status == 401);
  CHECK(auth_text(r).starts_with("invalid signature"));
  CHECK(h.api->store().size(ar::network::stcpr) == 0);

  // the same signed request twice: the second is a replay
  auto once = signed_request(http::verb::post, "/bind/stcpr", body, a, 0, "203.0.113.5:5000");
  CHECK(h.api->handle(ar::ar_op::bind_stcpr, once).status == 200);
  r = h.api->handle(ar::ar_op::bind_stcpr, once);
  CHECK(r.status == 401);
  CHECK(auth_text(r) == "SW-Nonce does not match");
  // a body changed under the signature
  auto changed = signed_request(http::verb::post, "/bind/stcpr", body, a, 1, "203.0.113.5:5000");
  changed.body = wt::encode_local_addresses_line({skywire::port{1}, {"203.0.113.5"}});
  CHECK(h.api->handle(ar::ar_op::bind_stcpr, changed).status == 401);
  // resolve needs httpauth too
  http::request plain;
  plain.params = {{"type", "stcpr"}, {"pk", a.pk.hex()}};
  plain.remote = "198.51.100.1:1";
  CHECK(h.api->handle(ar::ar_op::resolve, plain).status == 401);
}

TEST_CASE("address resolver: stcpr bindings expire unless re-bound") {
  ar::ar_config cfg;
  cfg.entry_ttl = 60s;
  harness h{cfg};
  auto a = key("alice"), b = key("bob");
  wt::local_addresses la{skywire::port{7777}, {"203.0.113.5"}};
  REQUIRE(h.bind(a, "203.0.113.5:1", la).status == 200);
  h.now = t0 + 50 * sec;
  REQUIRE(h.bind(a, "203.0.113.5:1", la).status == 200); // the heartbeat
  h.now = t0 + 100 * sec;
  CHECK(h.resolve(b, "198.51.100.9:1", "stcpr", a.pk).status == 200);
  h.now = t0 + 111 * sec;
  CHECK(h.resolve(b, "198.51.100.9:1", "stcpr", a.pk).status == 404);
  CHECK(h.api->sweep() == 1);
  auto metrics = h.api->handle(ar::ar_op::metrics, {}).body;
  CHECK(metrics.find("ar_expired_total 1\n") != std::string::npos);
}

TEST_CASE("address resolver: sudph bindings, the private-address policy, the push") {
  harness h;
  auto a = key("alice"), b = key("bob"), c = key("carol"), d = key("dave");
  h.sudph_bind(a.pk, "203.0.113.5", 40001, 11);
  h.sudph_bind(b.pk, "198.51.100.20", 40002, 12);
  h.sudph_bind(c.pk, "192.168.1.30", 40003, 13); // the resolver sees it from inside a LAN

  // A resolves B: B's data, and B is asked to punch toward A
  auto r = h.resolve(a, "203.0.113.5:50000", "sudph", b.pk);
  REQUIRE(r.status == 200);
  CHECK(r.body == R"({"remote_addr":"198.51.100.20:40002","port":"40002","addresses":null})");
  REQUIRE(h.udp->pushes.size() == 1);
  CHECK(h.udp->pushes[0].to == b.pk);
  CHECK(h.udp->pushes[0].channel == 12);
  CHECK(h.udp->pushes[0].message == wt::encode_ar_push({a.pk, "203.0.113.5:40001"}));

  // C's address is a private one: never handed to a peer elsewhere...
  r = h.resolve(a, "203.0.113.5:50000", "sudph", c.pk);
  CHECK(r.status == 404);
  CHECK(error_text(r).find("private") != std::string::npos);
  CHECK(h.udp->pushes.size() == 1);
  // ...nor pushed to one
  r = h.resolve(c, "192.168.1.30:50000", "sudph", b.pk);
  CHECK(r.status == 200);
  CHECK(h.udp->pushes.size() == 1);
  // a peer behind the same address gets it, as a local peer
  h.sudph_bind(d.pk, "192.168.1.30", 40004, 14);
  r = h.resolve(d, "192.168.1.30:50001", "sudph", c.pk);
  REQUIRE(r.status == 200);
  CHECK(r.body
        == R"({"remote_addr":"192.168.1.30:40003","is_local":true,"port":"40003","addresses":["192.168.1.10"]})");
  REQUIRE(h.udp->pushes.size() == 2);
  CHECK(h.udp->pushes[1].message == wt::encode_ar_push({d.pk, "192.168.1.30:40004"}));

  // a caller with no sudph binding: the answer, no push
  auto e = key("erin");
  CHECK(h.resolve(e, "203.0.113.77:1", "sudph", b.pk).status == 200);
  CHECK(h.udp->pushes.size() == 2);
  auto metrics = h.api->handle(ar::ar_op::metrics, {}).body;
  CHECK(metrics.find("ar_pushes_withheld_total 1\n") != std::string::npos);
  CHECK(metrics.find("ar_pushes_caller_unbound_total 1\n") != std::string::npos);
  CHECK(metrics.find("ar_resolves_hidden_total 1\n") != std::string::npos);

  // an old channel's end does not remove the new channel's binding
  h.sudph_bind(b.pk, "198.51.100.20", 40009, 15);
  h.api->sudph_unbound(b.pk, 12);
  CHECK(h.api->store().resolve(ar::network::sudph, b.pk, h.now));
  h.api->sudph_unbound(b.pk, 15);
  CHECK_FALSE(h.api->store().resolve(ar::network::sudph, b.pk, h.now));
}

TEST_CASE("address resolver: a sudph binding the store refuses drops its channel") {
  ar::ar_config cfg;
  cfg.max_per_source = 1;
  harness h{cfg};
  h.sudph_bind(key("a").pk, "203.0.113.5", 1, 1);
  wt::visor_data d;
  d.remote_addr = "203.0.113.5:2";
  CHECK_FALSE(h.api->sudph_bound(key("b").pk, d, boost::asio::ip::make_address("203.0.113.5"), 2));
  REQUIRE(h.udp->drops.size() == 1);
  CHECK(h.udp->drops[0] == std::pair{key("b").pk, uint64_t{2}});
}

TEST_CASE("address resolver: /transports, /health, deregistration") {
  auto nm = key("network monitor");
  ar::ar_config cfg;
  cfg.whitelist = {nm.pk};
  cfg.page_limit = 2;
  harness h{cfg};
  CHECK(h.api->handle(ar::ar_op::transports, {}).body == "{}");
  auto a = key("alice"), b = key("bob"), c = key("carol");
  h.sudph_bind(a.pk, "203.0.113.5", 1, 1);
  h.sudph_bind(b.pk, "203.0.113.6", 1, 2);
  h.sudph_bind(c.pk, "203.0.113.7", 1, 3);
  REQUIRE(h.bind(a, "203.0.113.5:1", {skywire::port{7777}, {"203.0.113.5"}}).status == 200);
  http::request all;
  auto r = h.api->handle(ar::ar_op::transports, all);
  auto t = wt::decode_ar_transports(r.body);
  REQUIRE(t);
  std::vector<public_key> sudph{a.pk, b.pk, c.pk};
  std::sort(sudph.begin(), sudph.end());
  CHECK(t->sudph == std::vector<public_key>(sudph.begin(), sudph.begin() + 2));
  CHECK(t->stcpr == std::vector<public_key>{a.pk});
  CHECK(r.header("X-Total-Count") == "3");
  CHECK(r.header("X-Next-Offset") == "2");
  all.query = "offset=2";
  t = wt::decode_ar_transports(h.api->handle(ar::ar_op::transports, all).body);
  CHECK(t->sudph == std::vector<public_key>{sudph[2]});
  CHECK(t->stcpr.empty());

  auto health = boost::json::parse(h.api->handle(ar::ar_op::health, {}).body);
  CHECK(health.at("build_info").at("version").is_string());
  CHECK(health.at("started_at").as_string() == "2027-01-15T08:00:00Z");

  // deregister: whitelisted monitor only, a known network type, a key list
  auto nm_text = nm.pk.hex();
  auto nm_sig = skywire::crypto::sign(bytes_of(nm_text), nm.sk).hex();
  http::request d;
  d.params = {{"network", "sudph"}};
  d.body = "[\"" + a.pk.hex() + "\",\"" + b.pk.hex() + "\"]";
  CHECK(h.api->handle(ar::ar_op::deregister, d).status == 403);
  d.headers = {{"NM-PK", nm_text}, {"NM-Sign", nm_sig}};
  d.params = {{"network", "dmsg"}};
  CHECK(h.api->handle(ar::ar_op::deregister, d).status == 400);
  d.params = {{"network", "sudph"}};
  r = h.api->handle(ar::ar_op::deregister, d);
  CHECK(r.status == 200);
  CHECK(r.body == "null");
  CHECK(h.api->store().size(ar::network::sudph) == 1);
  CHECK(h.api->store().size(ar::network::stcpr) == 1);
  d.body = "[\"nonsense\"]";
  CHECK(h.api->handle(ar::ar_op::deregister, d).status == 400);
}

TEST_CASE("address resolver: new keys and bindings from one source are rate limited") {
  ar::ar_config cfg;
  cfg.new_burst = 3;
  cfg.new_per_minute = 1;
  harness h{cfg};
  std::vector<int> statuses;
  for (int i = 0; i < 3; ++i) {
    auto kp = key("k" + std::to_string(i));
    statuses.push_back(h.bind(kp, "203.0.113.5:1", {skywire::port{1}, {"203.0.113.5"}}).status);
  }
  // 3 tokens: the first key's nonce and binding, the second key's nonce
  CHECK(statuses == std::vector<int>{200, 429, 429});
  auto r = h.bind(key("k9"), "203.0.113.5:1", {skywire::port{1}, {"203.0.113.5"}});
  CHECK(r.status == 429);
  CHECK(r.header("Retry-After") == "60");
  // another source is not affected; a refresh of a binding costs nothing
  CHECK(h.bind(key("k9"), "198.51.100.5:1", {skywire::port{1}, {"198.51.100.5"}}).status == 200);
  CHECK(h.bind(key("k0"), "203.0.113.5:1", {skywire::port{1}, {"203.0.113.5"}}).status == 200);
}
