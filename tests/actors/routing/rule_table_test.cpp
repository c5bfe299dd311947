// The route ID pool (ReserveKeys, §4.1) and the rule table (§4.3): installs
// and refusals, expiry invisible on lookup, refresh by lookup, the sweep,
// and snapshots that stay valid while the table changes. A virtual clock.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "actors/routing/errors.hpp"
#include "actors/routing/route_id_pool.hpp"
#include "actors/routing/rule_table.hpp"
#include "runtime/crypto/keys.hpp"

using namespace skywire;
using namespace skywire::routing;
using namespace std::chrono_literals;
namespace wr = skywire::wire::routing;

namespace {

struct vclock {
  std::atomic<int64_t> ns{1'000'000'000};
  rule_table::clock fn() {
    return [this] { return nanos{ns.load()}; };
  }
  void advance(nanos d) { ns += d.count(); }
};

transport_id tp(uint8_t n) {
  transport_id t;
  t.bytes.fill(n);
  return t;
}

wr::route_descriptor desc() {
  auto a = crypto::deterministic_keypair(std::vector<uint8_t>{'a'});
  auto b = crypto::deterministic_keypair(std::vector<uint8_t>{'b'});
  return {a.pk, b.pk, port{49152}, port{44}};
}

} // namespace

TEST_CASE("route_id_pool: next n IDs from 1, never twice, exhaustion refused whole") {
  route_id_pool pool;
  auto a = pool.reserve(2);
  REQUIRE(a);
  CHECK(*a == std::vector<route_id>{route_id{1}, route_id{2}});
  auto b = pool.reserve(3);
  REQUIRE(b);
  CHECK(*b == std::vector<route_id>{route_id{3}, route_id{4}, route_id{5}});
  auto none = pool.reserve(0);
  REQUIRE(none);
  CHECK(none->empty());
  CHECK(pool.last() == 5);

  route_id_pool nearly{route_id_pool::max_id - 2};
  auto two = nearly.reserve(2);
  REQUIRE(two);
  CHECK(two->back().value == route_id_pool::max_id);
  auto more = nearly.reserve(1);
  REQUIRE_FALSE(more);
  CHECK(is(more.error(), routing_errc::ids_exhausted));
  CHECK(nearly.last() == route_id_pool::max_id); // nothing handed out by the failure
}

TEST_CASE("route_id_pool: skip_through moves the counter forward only") {
  route_id_pool pool;
  REQUIRE(pool.reserve(3));
  pool.skip_through(2); // behind: nothing changes
  CHECK(pool.last() == 3);
  pool.skip_through(5000);
  auto next = pool.reserve(1);
  REQUIRE(next);
  CHECK(next->front().value == 5001);
  pool.skip_through(route_id_pool::max_id);
  CHECK(is(pool.reserve(1).error(), routing_errc::ids_exhausted));
}

TEST_CASE("route_id_pool: concurrent reservations never overlap") {
  route_id_pool pool;
  std::vector<std::vector<route_id>> got(4);
  std::vector<std::thread> ts;
  for (size_t t = 0; t < got.size(); ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        auto r = pool.reserve(3);
        if (r)
          got[t].insert(got[t].end(), r->begin(), r->end());
      }
    });
  for (auto& t : ts)
    t.join();
  std::vector<uint32_t> all;
  for (auto& g : got)
    for (auto id : g)
      all.push_back(id.value);
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() == 4 * 500 * 3);
  for (size_t i = 0; i < all.size(); ++i)
    CHECK(all[i] == i + 1);
}

TEST_CASE("rule_table: install, lookup, refusals") {
  vclock c;
  rule_table t{c.fn()};
  auto in = wr::make_intermediary_rule(30s, route_id{7}, route_id{9}, tp(1));
  REQUIRE_FALSE(t.install(in));
  auto [s, r] = t.find(route_id{7});
  REQUIRE(r);
  CHECK(r.hit->rule == in);
  CHECK(t.size() == 1);

  // the same key again, key 0, next route 0: refused, the table unchanged
  auto again = t.install(wr::make_intermediary_rule(30s, route_id{7}, route_id{10}, tp(2)));
  CHECK(is(again, routing_errc::id_in_use));
  CHECK(is(t.install(wr::make_consume_rule(30s, route_id{0}, desc())), routing_errc::bad_rule));
  CHECK(is(t.install(wr::make_intermediary_rule(30s, route_id{8}, route_id{0}, tp(2))),
           routing_errc::bad_rule));
  // all or none
  auto both = t.install_all({wr::make_consume_rule(30s, route_id{11}, desc()),
                             wr::make_consume_rule(30s, route_id{7}, desc())});
  CHECK(is(both, routing_errc::id_in_use));
  CHECK_FALSE(t.get(route_id{11}));
  CHECK(is(t.install_all({wr::make_consume_rule(30s, route_id{12}, desc()),
                          wr::make_consume_rule(30s, route_id{12}, desc())}),
           routing_errc::id_in_use));
  CHECK(t.size() == 1);

  auto unknown = t.find(route_id{99});
  CHECK_FALSE(unknown.second);
  CHECK(unknown.second.miss == lookup_miss::unknown);
  CHECK(is(t.get(route_id{99}).error(), routing_errc::unknown_rule));

  REQUIRE(t.remove(route_id{7}));
  CHECK_FALSE(t.remove(route_id{7}));
  CHECK(t.size() == 0);
}

TEST_CASE("rule_table: expiry invisible on lookup, lookups refresh, the sweep removes") {
  vclock c;
  rule_table t{c.fn()};
  REQUIRE_FALSE(t.install(wr::make_intermediary_rule(10s, route_id{1}, route_id{2}, tp(1))));
  REQUIRE_FALSE(t.install(wr::make_consume_rule(10s, route_id{3}, desc())));

  // rule 1 is used every 6 s, rule 3 never
  for (int i = 0; i < 3; ++i) {
    c.advance(6s);
    CHECK(t.find(route_id{1}).second);
  }
  // 18 s without activity: rule 3 expired, invisible, still held until the sweep
  auto [s3, r3] = t.find(route_id{3});
  CHECK_FALSE(r3);
  CHECK(r3.miss == lookup_miss::expired);
  CHECK(t.get(route_id{3})); // the CLI still sees it until swept
  CHECK_FALSE(t.touch(route_id{3}));

  auto swept = t.sweep();
  REQUIRE(swept.size() == 1);
  CHECK(swept[0].key == route_id{3});
  CHECK(t.size() == 1);
  CHECK(t.sweep().empty());

  // exactly at the keep-alive: still alive; one ns more: expired
  c.advance(10s);
  CHECK(t.touch(route_id{1}));
  c.advance(10s + 1ns);
  CHECK_FALSE(t.find(route_id{1}).second);
  CHECK(t.sweep().size() == 1);
  CHECK(t.size() == 0);
}

TEST_CASE("rule_table: a snapshot is immutable and shares activity with later ones") {
  vclock c;
  rule_table t{c.fn()};
  REQUIRE_FALSE(t.install(wr::make_intermediary_rule(10s, route_id{1}, route_id{2}, tp(1))));
  auto old = t.snapshot();
  REQUIRE_FALSE(t.install(wr::make_intermediary_rule(10s, route_id{5}, route_id{6}, tp(1))));
  REQUIRE(t.remove(route_id{1}));
  // the old snapshot still has rule 1 and not rule 5
  CHECK(old->rules.size() == 1);
  CHECK(old->rules.count(1) == 1);
  auto now = t.snapshot();
  CHECK(now->version > old->version);
  CHECK(now->rules.count(1) == 0);
  CHECK(now->rules.count(5) == 1);

  // activity stamped through one snapshot is seen through the next
  auto before = t.snapshot();
  c.advance(8s);
  CHECK(lookup(*before, route_id{5}, t.now()));
  REQUIRE_FALSE(t.install(wr::make_consume_rule(10s, route_id{9}, desc())));
  c.advance(8s); // 16 s after install, 8 s after the lookup
  CHECK(t.find(route_id{5}).second);
}

TEST_CASE("rule_table: readers on other threads while a writer installs and removes") {
  rule_table t{[] { return nanos{std::chrono::steady_clock::now().time_since_epoch()}; }};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> hits{0};
  REQUIRE_FALSE(t.install(wr::make_intermediary_rule(30s, route_id{1}, route_id{2}, tp(1))));
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i)
    readers.emplace_back([&] {
      while (!stop) {
        auto [s, r] = t.find(route_id{1});
        if (r && r.hit->rule.next_route == route_id{2})
          ++hits;
      }
    });
  for (uint32_t k = 100; k < 1100; ++k) {
    REQUIRE_FALSE(t.install(wr::make_intermediary_rule(30s, route_id{k}, route_id{k + 1}, tp(2))));
    if (k % 2 == 0)
      REQUIRE(t.remove(route_id{k}));
  }
  stop = true;
  for (auto& r : readers)
    r.join();
  CHECK(hits > 0);
  CHECK(t.size() == 501);
}
