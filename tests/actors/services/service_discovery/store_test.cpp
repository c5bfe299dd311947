// The service discovery's store on a clock the test drives: expiry and
// refresh, the filters of a listing, the bounds.
#include <doctest/doctest.h>

#include "actors/services/service_discovery/errors.hpp"
#include "actors/services/service_discovery/store.hpp"
#include "support.hpp"

using namespace skywire;
using namespace sd_test;
using namespace std::chrono_literals;
namespace sd = skywire::services::service_discovery;

TEST_CASE("sd store: an entry expires unless registered again; a refresh moves its expiry") {
  sd::service_store st;
  auto a = key("a");
  auto s = service(a, 3, "skysocks");
  REQUIRE(!st.put(s, 60s, t0));
  CHECK(st.get(sd::key_of(s), t0 + 59 * sec));
  // refreshed at t0 + 50 s: lives until t0 + 110 s
  auto changed = s;
  changed.version = "v1.3.21";
  REQUIRE(!st.put(changed, 60s, t0 + 50 * sec));
  auto r = st.get(sd::key_of(s), t0 + 100 * sec);
  REQUIRE(r);
  CHECK(r->entry.version == "v1.3.21");
  CHECK(r->created_ns == t0);
  CHECK(!st.get(sd::key_of(s), t0 + 110 * sec));
  CHECK(st.list({"skysocks", "", ""}, t0 + 110 * sec).empty());
  CHECK(st.size() == 0);
  CHECK(st.sweep(t0 + 200 * sec) == 1);
  CHECK(st.sweep(t0 + 200 * sec) == 0);
  // ttl 0: never
  REQUIRE(!st.put(s, 0s, t0));
  CHECK(st.get(sd::key_of(s), t0 + 1'000'000 * sec));
}

TEST_CASE("sd store: a listing selects by type, version and country, in key order") {
  sd::service_store st;
  auto a = key("a"), b = key("b"), c = key("c");
  REQUIRE(!st.put(with_country(service(a, 3, "skysocks"), "DE"), 60s, t0));
  REQUIRE(!st.put(with_country(service(b, 3, "skysocks", "v1.3.19"), "US"), 60s, t0));
  REQUIRE(!st.put(service(c, 3, "skysocks"), 60s, t0)); // no geo
  REQUIRE(!st.put(service(a, 44, "vpn"), 60s, t0));
  CHECK(st.list({"skysocks", "", ""}, t0).size() == 3);
  CHECK(st.list({"vpn", "", ""}, t0).size() == 1);
  CHECK(st.list({"visor", "", ""}, t0).empty());
  auto v = st.list({"skysocks", "v1.3.19", ""}, t0);
  REQUIRE(v.size() == 1);
  CHECK(v[0].pk == b.pk);
  auto de = st.list({"skysocks", "", "de"}, t0); // case-insensitive
  REQUIRE(de.size() == 1);
  CHECK(de[0].pk == a.pk);
  CHECK(st.list({"skysocks", "v1.3.19", "DE"}, t0).empty());
  auto all = st.list({"skysocks", "", ""}, t0);
  CHECK(std::is_sorted(all.begin(), all.end(),
                       [](const auto& x, const auto& y) { return x.pk < y.pk; }));
  CHECK(st.count_by_type() == std::map<std::string, size_t>{{"skysocks", 3}, {"vpn", 1}});
}

TEST_CASE("sd store: bounded in all and per key, with clear errors; deletes") {
  sd::service_store st{sd::store_limits{4, 2}};
  auto a = key("a"), b = key("b"), c = key("c");
  REQUIRE(!st.put(service(a, 3, "skysocks"), 60s, t0));
  REQUIRE(!st.put(service(a, 44, "vpn"), 60s, t0));
  auto err = st.put(service(a, 45, "vpn"), 60s, t0);
  REQUIRE(err);
  CHECK(err.code() == static_cast<uint8_t>(sd::sd_errc::key_full));
  CHECK(sd::error_reply(err).status == 422);
  // a refresh of a stored entry is no new entry
  CHECK(!st.put(service(a, 44, "vpn", "v2"), 60s, t0));
  REQUIRE(!st.put(service(b, 3, "skysocks"), 60s, t0));
  REQUIRE(!st.put(service(b, 44, "vpn"), 60s, t0));
  err = st.put(service(c, 3, "skysocks"), 60s, t0);
  REQUIRE(err);
  CHECK(err.code() == static_cast<uint8_t>(sd::sd_errc::full));
  auto reply = sd::error_reply(err);
  CHECK(reply.status == 503);
  CHECK(reply.body.find("\"code\":503,\"error\":\"service discovery is full") == 1);
  // expired entries do not count against the bounds
  CHECK(!st.put(service(c, 3, "skysocks"), 60s, t0 + 61 * sec));
  CHECK(st.size() == 1);
  // remove one; remove a key's entries of one type
  REQUIRE(!st.put(service(c, 4, "skysocks"), 60s, t0 + 61 * sec));
  CHECK(st.remove(sd::key_of(service(c, 3, "skysocks")), t0 + 61 * sec));
  CHECK(!st.remove(sd::key_of(service(c, 3, "skysocks")), t0 + 61 * sec));
  REQUIRE(!st.put(service(c, 44, "vpn"), 60s, t0 + 61 * sec));
  CHECK(st.remove_key("skysocks", c.pk, t0 + 61 * sec) == 1);
  CHECK(st.size() == 1);
  CHECK(st.count_of(c.pk) == 1);
}
