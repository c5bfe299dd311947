// The service discovery's API without sockets: the reference's answers
// byte for byte, httpauth on writes with the caller's own key only, the
// checks of a registration, expiry on the test's clock, the limits.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "actors/services/service_discovery/api.hpp"
#include "runtime/crypto/keys.hpp"
#include "support.hpp"

using namespace skywire;
using namespace sd_test;
using namespace std::chrono_literals;
namespace sd = skywire::services::service_discovery;

namespace {

struct harness {
  int64_t now = t0;
  sd::sd_api api;
  std::map<std::string, uint64_t> nonces;

  explicit harness(sd::sd_config cfg = {}) : api(configure(std::move(cfg), this)) {}

  static sd::sd_config configure(sd::sd_config cfg, harness* self) {
    cfg.clock = [self] { return self->now; };
    cfg.seed = 7;
    return cfg;
  }

  http::response call(sd::sd_op op, http::request r, std::string addr = {},
                      std::string type = {}) {
    if (!addr.empty())
      r.params.emplace("addr", std::move(addr));
    if (!type.empty())
      r.params.emplace("type", std::move(type));
    return api.handle(op, r);
  }
  /// A request signed by kp with its current nonce (advanced on 2xx).
  http::response signed_call(sd::sd_op op, http::verb m, std::string target, std::string body,
                             const crypto::keypair& kp, std::string addr = {},
                             std::string remote = "192.0.2.10:40000") {
    auto& n = nonces[kp.pk.hex()];
    auto r = call(op, signed_request(m, std::move(target), std::move(body), kp, n, remote),
                  std::move(addr));
    if (r.status >= 200 && r.status < 300)
      ++n;
    return r;
  }
  http::response post(const wire::service_entry& s, const crypto::keypair& kp,
                      std::string remote = "192.0.2.10:40000") {
    return signed_call(sd::sd_op::register_, http::verb::post, "/api/services",
                       wire::encode_service(s), kp, {}, std::move(remote));
  }
  http::response get(std::string target) {
    http::request r;
    r.method = http::verb::get;
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    if (auto q = target.find('?'); q != std::string::npos)
      r.query = target.substr(q + 1);
    r.remote = "198.51.100.7:5000";
    return call(sd::sd_op::list, std::move(r));
  }
};

std::string error_of(const http::response& r) {
  auto v = boost::json::parse(r.body).as_object();
  CHECK(v.at("code").as_int64() == static_cast<int64_t>(r.status));
  return std::string{v.at("error").as_string()};
}

} // namespace

TEST_CASE("sd api: a signed registration is stored and answered as the reference, byte for byte") {
  harness h;
  auto a = key("alice");
  // the Go struct's field order: address, type, geo, display_node_ip, version, local_ips, info
  std::string body = "{\"address\":\"" + a.pk.hex()
                     + ":3\",\"type\":\"skysocks\",\"geo\":{\"lat\":52.52,\"lon\":-13.405,"
                       "\"country\":\"DE\"},\"display_node_ip\":true,\"version\":\"v1.3.20\","
                       "\"info\":{\"latency\":12.5,\"connections\":3}}";
  auto r = h.signed_call(sd::sd_op::register_, http::verb::post, "/api/services", body, a);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.body == body + "\n");
  // listed (proxy is skysocks), and one entry by address
  r = h.get("/api/services?type=proxy");
  CHECK(r.status == 200);
  CHECK(r.body == "[" + body + "]\n");
  CHECK(r.header("X-Total-Count") == std::optional<std::string_view>{"1"});
  http::request one;
  one.method = http::verb::get;
  one.query = "type=skysocks";
  r = h.call(sd::sd_op::get_one, one, a.pk.hex() + ":3");
  CHECK(r.status == 200);
  CHECK(r.body == body + "\n");
  r = h.call(sd::sd_op::get_one, one, a.pk.hex() + ":4");
  CHECK(r.status == 404);
  CHECK(r.body == "{\"code\":404,\"error\":\"service not found\"}\n");
  r = h.get("/api/services?type=vpn");
  CHECK(r.body == "[]\n");
}

TEST_CASE("sd api: unsigned, foreign and incomplete registrations are refused, nothing stored") {
  harness h;
  auto a = key("alice"), m = key("mallory");
  // no httpauth at all: the reference's 401 shape
  http::request r;
  r.method = http::verb::post;
  r.body = wire::encode_service(service(a, 3, "skysocks"));
  r.remote = "192.0.2.10:1";
  auto res = h.call(sd::sd_op::register_, r);
  CHECK(res.status == 401);
  CHECK(wire::decode_httpauth_error(res.body)->message == "SW-Public missing");
  // signed by mallory for alice's address
  res = h.post(service(a, 3, "skysocks"), m);
  CHECK(res.status == 403);
  CHECK(error_of(res) == "using public key other than your own is forbidden");
  // a signature over another body (mallory signs, alice's key in the header)
  auto forged = signed_request(http::verb::post, "/api/services", "{}", m, 0);
  forged.body = wire::encode_service(service(a, 3, "skysocks"));
  forged.headers = wire::httpauth_header_list(
    {a.pk, 0, crypto::sign(wire::httpauth_payload("{}", 0), m.sk), std::nullopt});
  CHECK(h.call(sd::sd_op::register_, forged).status == 401);
  // no version for skysocks / vpn
  res = h.post(service(a, 3, "skysocks", ""), a);
  CHECK(res.status == 403);
  CHECK(error_of(res) == "visor version is too old");
  // port 0, bad JSON, bad type
  res = h.post(service(a, 0, "vpn"), a);
  CHECK(res.status == 400);
  res = h.signed_call(sd::sd_op::register_, http::verb::post, "/api/services", "{\"address\":", a);
  CHECK(res.status == 400);
  CHECK(error_of(res) == "invalid json");
  res = h.post(service(a, 3, "Sky_Socks"), a);
  CHECK(res.status == 400);
  CHECK(h.api.store().size() == 0);
}

TEST_CASE("sd api: visor entries need the caller's public IP among local_ips") {
  harness h;
  auto a = key("alice");
  auto v = service(a, 7777, "visor");
  v.local_ips = {"192.0.2.10"};
  CHECK(h.post(v, a, "192.0.2.10:4000").status == 200);
  auto r = h.post(v, a, "192.0.2.11:4000");
  CHECK(r.status == 403);
  CHECK(error_of(r) == "visor is unreachable");
  // a private caller: refused, unless in test mode
  v.local_ips = {"10.0.0.5"};
  CHECK(h.post(v, a, "10.0.0.5:4000").status == 403);
  harness t{[] {
    sd::sd_config c;
    c.test_mode = true;
    return c;
  }()};
  v.local_ips = {"127.0.0.1"};
  CHECK(t.post(v, a, "127.0.0.1:4000").status == 200);
  // over dmsghttp the caller's IP is SW-PublicIP
  auto b = key("bob");
  auto vb = service(b, 7777, "visor");
  vb.local_ips = {"203.0.113.9"};
  auto req = signed_request(http::verb::post, "/api/services", wire::encode_service(vb), b, 0,
                            "02" + std::string(64, 'a') + ":49153");
  req.headers.emplace_back("SW-PublicIP", "203.0.113.9");
  CHECK(h.call(sd::sd_op::register_, req).status == 200);
}

TEST_CASE("sd api: filters, quantity and the bounded list answer") {
  sd::sd_config cfg;
  cfg.list_limit = 3;
  harness h{cfg};
  for (int i = 0; i < 5; ++i) {
    auto kp = key("k" + std::to_string(i));
    auto s = with_country(service(kp, 3, "skysocks", i < 2 ? "v1" : "v2"), i == 0 ? "FR" : "DE");
    REQUIRE(h.post(s, kp).status == 200);
  }
  auto count = [](const http::response& r) { return boost::json::parse(r.body).as_array().size(); };
  auto r = h.get("/api/services?type=skysocks");
  CHECK(count(r) == 3); // sampled to list_limit
  CHECK(r.header("X-Total-Count") == std::optional<std::string_view>{"5"});
  CHECK(count(h.get("/api/services?type=skysocks&version=v1")) == 2);
  CHECK(count(h.get("/api/services?type=skysocks&country=FR")) == 1);
  CHECK(count(h.get("/api/services?type=skysocks&country=de&version=v2")) == 3);
  CHECK(count(h.get("/api/services?type=skysocks&quantity=2")) == 2);
  CHECK(count(h.get("/api/services?type=skysocks&quantity=0")) == 3);
  r = h.get("/api/services?type=skysocks&quantity=two");
  CHECK(r.status == 400);
  r = h.get("/api/services");
  CHECK(r.status == 400);
  CHECK(error_of(r) == "missing service type in request");
}

TEST_CASE("sd api: entries expire unless refreshed") {
  sd::sd_config cfg;
  cfg.entry_ttl = 60s;
  harness h{cfg};
  auto a = key("alice"), b = key("bob");
  REQUIRE(h.post(service(a, 3, "skysocks"), a).status == 200);
  REQUIRE(h.post(service(b, 3, "skysocks"), b).status == 200);
  h.now += 45 * sec;
  REQUIRE(h.post(service(a, 3, "skysocks"), a).status == 200); // alice refreshes
  h.now += 30 * sec;
  auto list = wire::decode_service_list(h.get("/api/services?type=skysocks").body);
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK(list->front().pk == a.pk);
  CHECK(h.api.sweep() == 1);
  h.now += 31 * sec;
  CHECK(h.get("/api/services?type=skysocks").body == "[]\n");
}

TEST_CASE("sd api: deletion by the owner only; network monitors deregister") {
  auto nm = key("nm");
  sd::sd_config cfg;
  cfg.whitelist = {nm.pk};
  harness h{cfg};
  auto a = key("alice"), m = key("mallory");
  REQUIRE(h.post(service(a, 3, "skysocks"), a).status == 200);
  REQUIRE(h.post(service(a, 44, "vpn"), a).status == 200);
  auto del = [&](const crypto::keypair& kp, std::string addr, std::string type) {
    return h.signed_call(sd::sd_op::remove, http::verb::delete_, "/api/services/x?type=" + type,
                         {}, kp, std::move(addr));
  };
  auto r = del(m, a.pk.hex() + ":3", "skysocks");
  CHECK(r.status == 403);
  CHECK(error_of(r) == "using public key other than your own is forbidden");
  r = del(a, a.pk.hex() + ":3", "proxy");
  CHECK(r.status == 200);
  CHECK(r.body == "true\n");
  CHECK(del(a, a.pk.hex() + ":3", "skysocks").status == 404);
  CHECK(del(a, "nonsense", "skysocks").status == 400);
  // the network monitor: NM-PK and NM-Sign over its own hex
  http::request d;
  d.method = http::verb::delete_;
  d.body = "[\"" + a.pk.hex() + "\"]";
  d.params.emplace("type", "vpn");
  auto nm_text = nm.pk.hex();
  auto sig =
    crypto::sign({reinterpret_cast<const uint8_t*>(nm_text.data()), nm_text.size()}, nm.sk);
  d.headers = {{"NM-PK", nm_text}, {"NM-Sign", sig.hex()}};
  r = h.api.handle(sd::sd_op::deregister, d);
  CHECK(r.status == 200);
  CHECK(h.api.store().size() == 0);
  d.headers = {{"NM-PK", m.pk.hex()}, {"NM-Sign", sig.hex()}};
  CHECK(h.api.handle(sd::sd_op::deregister, d).status == 403);
}

TEST_CASE("sd api: per-source registration budget, per-key and store bounds") {
  sd::sd_config cfg;
  cfg.new_burst = 4;
  cfg.new_per_minute = 1;
  cfg.max_per_key = 2;
  harness h{cfg};
  auto a = key("alice");
  // alice: a new key (1 token), two new entries (2 tokens); the third is
  // over her key's bound, which costs no token
  REQUIRE(h.post(service(a, 3, "skysocks"), a).status == 200);
  REQUIRE(h.post(service(a, 44, "vpn"), a).status == 200);
  auto r = h.post(service(a, 45, "vpn"), a);
  CHECK(r.status == 422);
  // refreshes cost nothing
  for (int i = 0; i < 5; ++i)
    CHECK(h.post(service(a, 3, "skysocks"), a).status == 200);
  // bob from the same source: his key takes the last token, his entry finds none
  auto b = key("bob");
  r = h.post(service(b, 3, "skysocks"), b);
  CHECK(r.status == 429);
  CHECK(r.header("Retry-After") == std::optional<std::string_view>{"60"});
  // another source is not charged for it
  CHECK(h.post(service(b, 3, "skysocks"), b, "203.0.113.1:1").status == 200);
  // two minutes later the source has two tokens again: carol's key and entry
  h.now += 121 * sec;
  auto c = key("carol");
  CHECK(h.post(service(c, 3, "skysocks"), c).status == 200);
  sd::sd_config small;
  small.max_entries = 1;
  harness s{small};
  REQUIRE(s.post(service(a, 3, "skysocks"), a).status == 200);
  r = s.post(service(b, 3, "skysocks"), b);
  CHECK(r.status == 503);
  CHECK(error_of(r).find("service discovery is full") == 0);
}
