// The discovery's bounds (issue 8): client entries expire unless refreshed,
// new keys per source are rate-limited (429 past the limit), a full store
// answers 503 with the reason, /entries is paginated. The API class with an
// injected clock: deterministic.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "actors/services/dmsg_discovery_api.hpp"
#include "support.hpp"

using namespace skywire;
using namespace test_support;
namespace dm = skywire::wire::dmsg;
namespace svc = skywire::services;

namespace {

constexpr int64_t t0 = 1'800'000'000'000'000'000;
constexpr int64_t sec = 1'000'000'000;

http::request post_from(const dm::entry& e, std::string remote) {
  http::request r;
  r.method = http::verb::post;
  r.body = dm::encode(e);
  r.remote = std::move(remote);
  return r;
}

http::request pk_request(const public_key& pk) {
  http::request r;
  r.params.emplace("pk", pk.hex());
  return r;
}

std::string message(const http::response& r) {
  return std::string{boost::json::parse(r.body).at("message").as_string()};
}

std::optional<std::string> header(const http::response& r, std::string_view name) {
  for (auto& [k, v] : r.headers)
    if (k == name)
      return v;
  return std::nullopt;
}

} // namespace

TEST_CASE("discovery limits: client entries expire unless refreshed") {
  int64_t now = t0;
  svc::dmsg_discovery_config cfg;
  cfg.clock = [&] { return now; };
  cfg.client_ttl = std::chrono::seconds{60};
  svc::dmsg_discovery_api api{cfg, nullptr};
  auto c = key("expiring-client");
  CHECK(api.handle(svc::discovery_op::post_entry, post_from(client_entry(c, 0, now, {}), "10.0.0.1:1"))
          .status
        == 200);
  now += 50 * sec; // refreshed before it expires
  CHECK(api.handle(svc::discovery_op::post_entry, post_from(client_entry(c, 1, now, {}), "10.0.0.1:1"))
          .status
        == 200);
  now += 50 * sec;
  CHECK(api.handle(svc::discovery_op::get_entry, pk_request(c.pk)).status == 200);
  now += 11 * sec; // 61 s after the refresh
  CHECK(api.handle(svc::discovery_op::get_entry, pk_request(c.pk)).status == 404);
  CHECK(api.sweep() == 1);
  CHECK(api.store().count().clients == 0);
}

TEST_CASE("discovery limits: new keys per source are rate-limited, updates are not") {
  int64_t now = t0;
  svc::dmsg_discovery_config cfg;
  cfg.clock = [&] { return now; };
  cfg.new_keys_burst = 20;
  cfg.new_keys_per_minute = 60; // one a second
  svc::dmsg_discovery_api api{cfg, nullptr};
  size_t ok = 0, limited = 0;
  std::string first_refusal;
  for (int i = 0; i < 300; ++i) {
    auto r = api.handle(svc::discovery_op::post_entry,
                        post_from(client_entry(key("flood-" + std::to_string(i)), 0, now, {}),
                                  "203.0.113.7:5000"));
    if (r.status == 200)
      ++ok;
    else if (r.status == 429) {
      if (limited++ == 0)
        first_refusal = message(r);
      CHECK(header(r, "Retry-After"));
    }
  }
  CHECK(ok == 20);
  CHECK(limited == 280);
  CHECK(first_refusal.find("too many new registrations from 203.0.113.7") != std::string::npos);
  // another source is not affected
  CHECK(api.handle(svc::discovery_op::post_entry,
                   post_from(client_entry(key("other"), 0, now, {}), "198.51.100.1:1"))
          .status
        == 200);
  // an update of a stored key from the limited source is still accepted
  CHECK(api.handle(svc::discovery_op::post_entry,
                   post_from(client_entry(key("flood-0"), 1, now, {}), "203.0.113.7:5000"))
          .status
        == 200);
  // the budget refills: 5 s later, 5 more new keys
  now += 5 * sec;
  size_t later = 0;
  for (int i = 300; i < 320; ++i)
    if (api.handle(svc::discovery_op::post_entry,
                   post_from(client_entry(key("flood-" + std::to_string(i)), 0, now, {}),
                             "203.0.113.7:5001"))
          .status
        == 200)
      ++later;
  CHECK(later == 5);
  auto m = api.handle(svc::discovery_op::metrics, {});
  CHECK(m.body.find("dmsg_discovery_posts_rate_limited_total 295") != std::string::npos);
}

TEST_CASE("discovery limits: a full store says so, /entries is paginated") {
  int64_t now = t0;
  svc::dmsg_discovery_config cfg;
  cfg.clock = [&] { return now; };
  cfg.max_entries = 25;
  cfg.entries_page_limit = 10;
  svc::dmsg_discovery_api api{cfg, nullptr};
  for (int i = 0; i < 25; ++i)
    REQUIRE(api.handle(svc::discovery_op::post_entry,
                       post_from(client_entry(key("k" + std::to_string(i)), 0, now, {}),
                                 "10.0.0." + std::to_string(i) + ":1"))
              .status
            == 200);
  auto full = api.handle(svc::discovery_op::post_entry,
                         post_from(client_entry(key("one-too-many"), 0, now, {}), "10.0.1.1:1"));
  CHECK(full.status == 503);
  CHECK(message(full).find("discovery is full (25 entries)") != std::string::npos);

  std::vector<std::string> all;
  size_t offset = 0;
  for (int page = 0; page < 5; ++page) {
    http::request r;
    r.query = "offset=" + std::to_string(offset) + "&limit=100"; // capped at 10
    auto res = api.handle(svc::discovery_op::entries, r);
    REQUIRE(res.status == 200);
    auto arr = boost::json::parse(res.body).as_array();
    CHECK(arr.size() <= 10);
    for (auto& v : arr)
      all.emplace_back(v.as_string().c_str());
    CHECK(header(res, "X-Total-Count") == std::optional<std::string>{"25"});
    auto next = header(res, "X-Next-Offset");
    if (!next)
      break;
    offset = std::stoul(*next);
  }
  CHECK(all.size() == 25);
  CHECK(std::is_sorted(all.begin(), all.end()));
  http::request bad;
  bad.query = "limit=x";
  CHECK(api.handle(svc::discovery_op::entries, bad).status == 400);
}
