// The in-memory transport store driven directly: lookups, the edge index,
// refresh, expiry with a controlled clock, its two bounds, ordered pages.
#include <doctest/doctest.h>

#include <algorithm>

#include "actors/services/transport_discovery/errors.hpp"
#include "actors/services/transport_discovery/store.hpp"
#include "support.hpp"

using namespace skywire;
using namespace tpd_test;
namespace tpd = skywire::services::transport_discovery;
using namespace std::chrono_literals;

TEST_CASE("tpd store: put, get, by edge, refresh keeps the creation time") {
  tpd::memory_transport_store s;
  auto a = key("alice"), b = key("bob"), c = key("carol");
  auto ab = entry_of(a, b), ac = entry_of(a, c), bc_dmsg = entry_of(b, c, "dmsg");
  CHECK_FALSE(s.put(ab, 0s, t0));
  CHECK_FALSE(s.put(ac, 0s, t0));
  CHECK_FALSE(s.put(bc_dmsg, 0s, t0));
  CHECK(s.size() == 3);
  auto r = s.get(ab.id, t0);
  REQUIRE(r);
  CHECK(r->entry == ab);
  CHECK(r->created_ns == t0);
  CHECK(r->expires_ns == 0);

  auto of_a = s.by_edge(a.pk, t0);
  REQUIRE(of_a.size() == 2);
  CHECK(of_a[0].id < of_a[1].id); // ordered by ID
  CHECK(s.by_edge(c.pk, t0).size() == 2);
  CHECK(s.by_edge(key("nobody").pk, t0).empty());

  auto relabeled = ab;
  relabeled.label = wt::transport_label::automatic;
  CHECK_FALSE(s.put(relabeled, 0s, t0 + 5 * sec));
  r = s.get(ab.id, t0 + 5 * sec);
  REQUIRE(r);
  CHECK(r->entry.label == wt::transport_label::automatic);
  CHECK(r->created_ns == t0);
  CHECK(s.size() == 3);
  auto types = s.count_by_type();
  CHECK(types["stcpr"] == 2);
  CHECK(types["dmsg"] == 1);

  CHECK(s.remove(ab.id, t0));
  CHECK_FALSE(s.remove(ab.id, t0));
  CHECK_FALSE(s.get(ab.id, t0));
  CHECK(s.by_edge(a.pk, t0).size() == 1);
  CHECK(s.by_edge(b.pk, t0).size() == 1);
  CHECK(s.count_by_type()["stcpr"] == 1);
}

TEST_CASE("tpd store: entries expire unless refreshed - sweep counts every expiry once") {
  tpd::memory_transport_store s;
  auto a = key("alice"), b = key("bob"), c = key("carol");
  auto ab = entry_of(a, b), ac = entry_of(a, c);
  CHECK_FALSE(s.put(ab, 60s, t0));
  CHECK_FALSE(s.put(ac, 60s, t0));
  CHECK(s.get(ab.id, t0 + 59 * sec));
  CHECK_FALSE(s.put(ab, 60s, t0 + 50 * sec)); // refreshed: now expires at t0 + 110 s
  CHECK_FALSE(s.get(ac.id, t0 + 60 * sec));   // expired exactly at its deadline
  CHECK(s.get(ab.id, t0 + 109 * sec));
  CHECK(s.by_edge(a.pk, t0 + 60 * sec).size() == 1); // the expired one is not listed
  CHECK(s.size() == 2);                              // but still held until swept
  CHECK(s.sweep(t0 + 60 * sec) == 1);
  CHECK(s.size() == 1);
  CHECK(s.sweep(t0 + 60 * sec) == 0);
  // a write sweeps on its way; the next sweep() still reports that expiry
  auto bc = entry_of(b, c);
  CHECK_FALSE(s.put(bc, 0s, t0 + 200 * sec));
  CHECK(s.size() == 1);
  CHECK(s.sweep(t0 + 200 * sec) == 1);
  CHECK_FALSE(s.remove(ab.id, t0 + 200 * sec));
  CHECK(s.by_edge(a.pk, t0 + 200 * sec).empty());
  CHECK(s.get(bc.id, t0 + 1'000'000 * sec)); // ttl 0: never expires
}

TEST_CASE("tpd store: a full store and a full edge refuse new IDs, not refreshes") {
  tpd::memory_transport_store s{tpd::memory_store_limits{.max_entries = 4, .max_per_edge = 2}};
  auto hub = key("hub");
  std::vector<crypto::keypair> peers;
  for (int i = 0; i < 6; ++i)
    peers.push_back(key("peer-" + std::to_string(i)));
  CHECK_FALSE(s.put(entry_of(hub, peers[0]), 60s, t0));
  CHECK_FALSE(s.put(entry_of(hub, peers[1]), 60s, t0));
  auto err = s.put(entry_of(hub, peers[2]), 60s, t0);
  CHECK(err);
  CHECK(tpd::status_of(err) == 422);
  CHECK(tpd::text_of(err).find("already has 2 transports") != std::string::npos);
  CHECK_FALSE(s.put(entry_of(hub, peers[0]), 60s, t0)); // a refresh is fine
  CHECK_FALSE(s.put(entry_of(peers[2], peers[3]), 60s, t0));
  CHECK_FALSE(s.put(entry_of(peers[4], peers[5]), 60s, t0));
  err = s.put(entry_of(peers[0], peers[5]), 60s, t0);
  CHECK(tpd::status_of(err) == 503);
  CHECK(tpd::text_of(err).find("transport discovery is full (4 transports)") != std::string::npos);
  CHECK(s.size() == 4);
  // once entries expire, they no longer count against either bound
  CHECK_FALSE(s.put(entry_of(hub, peers[2]), 60s, t0 + 61 * sec));
  CHECK(s.size() == 1);
}

TEST_CASE("tpd store: pages in ID order, totals of live entries") {
  tpd::memory_transport_store s;
  std::vector<transport_id> ids;
  for (int i = 0; i < 25; ++i) {
    auto e = entry_of(key("p" + std::to_string(i)), key("q" + std::to_string(i)));
    ids.push_back(e.id);
    CHECK_FALSE(s.put(e, i < 5 ? 10s : 0s, t0));
  }
  std::sort(ids.begin(), ids.end());
  auto p = s.list(0, 10, t0);
  CHECK(p.total == 25);
  REQUIRE(p.entries.size() == 10);
  CHECK(p.entries[0].id == ids[0]);
  p = s.list(20, 10, t0);
  CHECK(p.entries.size() == 5);
  CHECK(p.entries.back().id == ids.back());
  CHECK(s.list(30, 10, t0).entries.empty());
  p = s.list(0, 100, t0 + 11 * sec); // the five with a 10 s lifetime are gone
  CHECK(p.total == 20);
  CHECK(p.entries.size() == 20);
}
