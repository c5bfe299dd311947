// The uptime tracker's API without sockets: the heartbeat (httpauth), 410
// for the old paths, /uptimes in both shapes with its filters, /uptime/{pk},
// the timeline agreeing with the daily figure, the rate limits.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "actors/services/uptime_tracker/api.hpp"
#include "tests/actors/services/transport_discovery/support.hpp"

using namespace skywire;
namespace ut = skywire::services::uptime_tracker;
using tpd_test::key;
using tpd_test::signed_request;

namespace {

constexpr int64_t sec = 1'000'000'000;
constexpr int64_t midnight = int64_t{1'799'971'200} * sec; // 2027-01-15 00:00 UTC

struct harness {
  int64_t now = midnight + 12 * 3600 * sec;
  ut::ut_api api;
  std::map<std::string, uint64_t> nonces;

  explicit harness(ut::ut_config cfg = {}) : api(configure(std::move(cfg), this)) {}
  static ut::ut_config configure(ut::ut_config cfg, harness* self) {
    cfg.clock = [self] { return self->now; };
    return cfg;
  }
  http::response beat(const crypto::keypair& kp, std::string version = "v1.3.20",
                      std::string remote = "192.0.2.10:40000") {
    auto& n = nonces[kp.pk.hex()];
    auto r = api.handle(ut::ut_op::update,
                        signed_request(http::verb::get, "/v4/update?version=" + version, {}, kp,
                                       n, std::move(remote)));
    if (r.status == 200)
      ++n;
    return r;
  }
  http::response get(ut::ut_op op, std::string target, std::string pk = {},
                     std::string remote = "198.51.100.7:5000") {
    http::request r;
    r.method = http::verb::get;
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    if (auto q = target.find('?'); q != std::string::npos)
      r.query = target.substr(q + 1);
    if (!pk.empty())
      r.params.emplace("pk", std::move(pk));
    r.remote = std::move(remote);
    return api.handle(op, r);
  }
};

} // namespace

TEST_CASE("ut api: heartbeats need httpauth; the old paths are gone") {
  harness h;
  auto a = key("a");
  auto r = h.beat(a);
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  http::request plain;
  plain.method = http::verb::get;
  plain.query = "version=v1";
  plain.remote = "192.0.2.1:1";
  r = h.api.handle(ut::ut_op::update, plain);
  CHECK(r.status == 401);
  CHECK(wire::decode_httpauth_error(r.body)->message == "SW-Public missing");
  CHECK(h.api.handle(ut::ut_op::gone, plain).status == 410);
  CHECK(h.beat(a, std::string(65, 'v')).status == 400);
  // the caller's public IP is kept, a private one is not
  const auto* v = h.api.store().find(a.pk);
  REQUIRE(v);
  CHECK(v->last_ip == "192.0.2.10");
  auto b = key("b");
  CHECK(h.beat(b, "v", "10.1.2.3:5").status == 200);
  CHECK(h.api.store().find(b.pk)->last_ip.empty());
}

TEST_CASE("ut api: /uptimes in the reference's shapes, filters, and /uptime/{pk}") {
  harness h;
  auto a = key("a"), b = key("b"), c = key("c");
  // a: online since 06:00; b: up 00:00..03:00, then silent; c: never
  h.now = midnight;
  for (int i = 0; i < 36; ++i, h.now += 300 * sec)
    REQUIRE(h.beat(b, "v1.3.19").status == 200);
  h.now = midnight + 6 * 3600 * sec;
  for (int i = 0; i < 72; ++i, h.now += 300 * sec)
    REQUIRE(h.beat(a).status == 200);
  h.now -= 300 * sec; // a's last heartbeat was now
  auto [first, second] = a.pk < b.pk ? std::pair{&a, &b} : std::pair{&b, &a};
  auto online = [&](const crypto::keypair* k) { return k == &a ? "true" : "false"; };
  auto r = h.get(ut::ut_op::uptimes, "/uptimes");
  CHECK(r.status == 200);
  CHECK(r.body == "[{\"key\":\"" + first->pk.hex() + "\",\"online\":" + online(first)
                    + "},{\"key\":\"" + second->pk.hex() + "\",\"online\":" + online(second)
                    + "}]\n");
  r = h.get(ut::ut_op::uptimes, "/uptimes?v=v2&visors=" + b.pk.hex() + "," + c.pk.hex(), {},
            "198.51.100.8:1");
  CHECK(r.body == "[{\"pk\":\"" + b.pk.hex()
                    + "\",\"on\":false,\"version\":\"v1.3.19\",\"daily\":{\"2027-01-15\":"
                      "\"12.50\"}}]\n");
  r = h.get(ut::ut_op::uptimes, "/uptimes?v=v2&status=on", {}, "198.51.100.9:1");
  auto arr = boost::json::parse(r.body).as_array();
  REQUIRE(arr.size() == 1);
  CHECK(arr[0].at("pk").as_string() == a.pk.hex());
  CHECK(arr[0].at("daily").at("2027-01-15").as_string() == "25.00");
  r = h.get(ut::ut_op::uptimes, "/uptimes?status=off&visors=" + a.pk.hex(), {}, "198.51.100.10:1");
  CHECK(r.body == "null\n"); // the reference's empty filtered answer
  // a window of months without any heartbeat
  r = h.get(ut::ut_op::uptimes, "/uptimes?startDate=1700000000&endDate=1700000000", {},
            "198.51.100.11:1");
  CHECK(r.body == "[]\n");
  r = h.get(ut::ut_op::uptimes, "/uptimes?startDate=x&endDate=1", {}, "198.51.100.12:1");
  CHECK(r.status == 400);
  // dates whose month would not fit in 64-bit ns (found by fuzzing), or before 1970
  r = h.get(ut::ut_op::uptimes, "/uptimes?startDate=1&endDate=11702044800000", {},
            "198.51.100.13:1");
  CHECK(r.status == 400);
  r = h.get(ut::ut_op::uptimes, "/uptimes?startDate=-5&endDate=1", {}, "198.51.100.14:1");
  CHECK(r.status == 400);
  // one visor
  r = h.get(ut::ut_op::uptime, "/uptime/x", a.pk.hex());
  CHECK(r.body == "{\"key\":\"" + a.pk.hex() + "\",\"online\":true}\n");
  r = h.get(ut::ut_op::uptime, "/uptime/x", c.pk.hex());
  CHECK(r.status == 404);
  CHECK(h.get(ut::ut_op::uptime, "/uptime/x", "nonsense").status == 400);
}

TEST_CASE("ut api: the timeline of a day and its daily figure agree") {
  harness h;
  auto a = key("a");
  h.now = midnight + 3600 * sec;
  for (int i = 0; i < 30; ++i, h.now += 7 * 60 * sec) // every 7 minutes: some slots skipped
    REQUIRE(h.beat(a).status == 200);
  auto r = h.get(ut::ut_op::timeline, "/uptime/x/timeline?date=2027-01-15", a.pk.hex());
  REQUIRE(r.status == 200);
  auto o = boost::json::parse(r.body).as_object();
  CHECK(o.at("interval_seconds").as_int64() == 300);
  auto slots = o.at("slots").as_array();
  REQUIRE(slots.size() == 288);
  int64_t up = 0;
  for (const auto& s : slots)
    up += s.as_int64();
  CHECK(up == 30); // 7-minute steps never land twice in one 5-minute slot
  char want[32];
  std::snprintf(want, sizeof want, "%.2f", 100.0 * static_cast<double>(up) / 288.0);
  CHECK(o.at("daily").as_string() == want);
  auto v2 = boost::json::parse(h.get(ut::ut_op::uptimes, "/uptimes?v=v2").body).as_array();
  CHECK(v2[0].at("daily").at("2027-01-15").as_string() == want);
  CHECK(h.get(ut::ut_op::timeline, "/uptime/x/timeline?date=15.01.2027", a.pk.hex()).status
        == 400);
}

TEST_CASE("ut api: /uptimes and /visors are rate-limited per source, 5 a minute") {
  harness h;
  for (int i = 0; i < 5; ++i)
    CHECK(h.get(ut::ut_op::uptimes, "/uptimes").status == 200);
  auto r = h.get(ut::ut_op::visors, "/visors");
  CHECK(r.status == 429);
  CHECK(r.body == "Too Many Requests\n");
  CHECK(h.get(ut::ut_op::visors, "/visors", {}, "203.0.113.5:1").body == "[]\n");
  h.now += 12 * sec; // a token back
  CHECK(h.get(ut::ut_op::uptimes, "/uptimes").status == 200);
  CHECK(h.get(ut::ut_op::uptimes, "/uptimes").status == 429);
  // /uptime/{pk} and heartbeats are not limited
  CHECK(h.beat(key("a")).status == 200);
  CHECK(h.get(ut::ut_op::uptime, "/uptime/x", key("a").pk.hex()).status == 200);
}

TEST_CASE("ut api: /visors lists the located public IPs, rounded as the reference") {
  ut::ut_config cfg;
  cfg.locate = [](const std::string& ip) -> std::optional<std::pair<double, double>> {
    if (ip == "192.0.2.10")
      return std::pair{52.5212, 13.4049};
    return std::nullopt;
  };
  harness h{cfg};
  REQUIRE(h.beat(key("a")).status == 200);
  REQUIRE(h.beat(key("b"), "v", "198.51.100.1:1").status == 200);
  CHECK(h.get(ut::ut_op::visors, "/visors").body == "[{\"lat\":52.52,\"lon\":13.4}]\n");
}
