// The uptime tracker's store on a clock the test drives: five-minute slots
// credited once each, the daily percentage equal to the mean of the day's
// slot timeline (also across midnight, where the reference's figures go
// wrong), online within 6 minutes, retention and the bound on visors.
#include <doctest/doctest.h>

#include "actors/services/uptime_tracker/store.hpp"
#include "tests/actors/services/transport_discovery/support.hpp"

using namespace skywire;
namespace ut = skywire::services::uptime_tracker;
using tpd_test::key;

namespace {

constexpr int64_t sec = 1'000'000'000;
// 2027-01-15 00:00:00 UTC
constexpr int64_t midnight = int64_t{1'799'971'200} * sec;

/// The daily percentage recomputed from the timeline: mean of the slots.
double timeline_percent(const std::bitset<ut::slots_per_day>& t) {
  return 100.0 * static_cast<double>(t.count()) / static_cast<double>(ut::slots_per_day);
}

} // namespace

TEST_CASE("ut dates and percentages") {
  CHECK(ut::date_text(ut::day_of(midnight)) == "2027-01-15");
  CHECK(ut::date_text(ut::day_of(midnight - 1)) == "2027-01-14");
  CHECK(ut::parse_date("2027-01-15") == ut::day_of(midnight));
  CHECK(!ut::parse_date("2027-02-30"));
  CHECK(!ut::parse_date("2027-1-15"));
  CHECK(ut::percent_text(288) == "100.00");
  CHECK(ut::percent_text(0) == "0.00");
  CHECK(ut::percent_text(1) == "0.35");   // 300/86400
  CHECK(ut::percent_text(144) == "50.00");
  CHECK(ut::percent_text(216) == "75.00"); // the reward threshold
}

TEST_CASE("ut store: each accepted heartbeat credits its five-minute slot once") {
  ut::uptime_store st;
  auto a = key("a");
  auto t = midnight + 10 * 60 * sec + 7 * sec; // 00:10:07, slot 2
  CHECK(st.heartbeat(a.pk, "v1", "192.0.2.1", t) == ut::heartbeat_result::credited);
  CHECK(st.heartbeat(a.pk, "v1", "", t + 100 * sec) == ut::heartbeat_result::already);
  CHECK(st.heartbeat(a.pk, "v2", "", t + 300 * sec) == ut::heartbeat_result::credited);
  const auto* v = st.find(a.pk);
  REQUIRE(v);
  CHECK(v->version == "v2");
  CHECK(v->last_ip == "192.0.2.1");
  auto tl = st.timeline(*v, ut::day_of(t));
  CHECK(tl.count() == 2);
  CHECK(tl.test(2));
  CHECK(tl.test(3));
  CHECK(st.daily(*v) == std::map<std::string, std::string>{{"2027-01-15", "0.69"}});
  CHECK(st.online(*v, t + 300 * sec + 359 * sec));
  CHECK(!st.online(*v, t + 300 * sec + 360 * sec));
}

TEST_CASE("ut store: the daily figure and the per-interval timeline agree, across midnight too") {
  ut::uptime_store st;
  auto a = key("a"), b = key("b");
  // a: every 5 minutes from 18:00 to 06:00 the next day, a few seconds late
  // each time, with a 40-minute gap at 02:00; b: twice a slot, all day
  for (int64_t t = midnight + 18 * 3600 * sec; t < midnight + 30 * 3600 * sec;
       t += 300 * sec) {
    if (t >= midnight + 26 * 3600 * sec && t < midnight + 26 * 3600 * sec + 40 * 60 * sec)
      continue;
    st.heartbeat(a.pk, "v", "", t + 3 * sec);
  }
  for (int64_t t = midnight; t < midnight + 24 * 3600 * sec; t += 150 * sec)
    st.heartbeat(b.pk, "v", "", t);
  for (const auto& [pk, v] : st.visors()) {
    auto daily = st.daily(v);
    REQUIRE(!daily.empty());
    for (const auto& [date, pct] : daily) {
      auto day = ut::parse_date(date);
      REQUIRE(day);
      char want[32];
      std::snprintf(want, sizeof want, "%.2f", timeline_percent(st.timeline(v, *day)));
      CHECK(pct == want);
    }
  }
  const auto* va = st.find(a.pk);
  // day 1: 18:00..24:00 = 72 slots = 25.00 %; day 2: 00:00..06:00 minus 8 slots = 64
  CHECK(st.daily(*va) == std::map<std::string, std::string>{{"2027-01-15", "25.00"},
                                                             {"2027-01-16", "22.22"}});
  // b called 576 times in one day: 288 slots, 100 % (the reference: 200 %, shown as 100)
  CHECK(st.daily(*st.find(b.pk)) == std::map<std::string, std::string>{{"2027-01-15", "100.00"}});
}

TEST_CASE("ut store: days are retained for a bounded span; visors are bounded") {
  ut::uptime_store st{ut::store_limits{2, 3}};
  auto a = key("a"), b = key("b"), c = key("c");
  for (int d = 0; d < 5; ++d)
    st.heartbeat(a.pk, "v", "", midnight + d * 86400 * sec);
  const auto* v = st.find(a.pk);
  CHECK(v->days.size() == 3);
  CHECK(st.daily(*v).begin()->first == "2027-01-17");
  // a late heartbeat for a day before the retained span credits nothing
  CHECK(st.heartbeat(a.pk, "v", "", midnight) == ut::heartbeat_result::already);
  CHECK(st.heartbeat(b.pk, "v", "", midnight) == ut::heartbeat_result::credited);
  CHECK(st.heartbeat(c.pk, "v", "", midnight) == ut::heartbeat_result::full);
  CHECK(st.size() == 2);
  // b is silent: forgotten once its days are out of the span
  st.sweep(midnight + 4 * 86400 * sec);
  CHECK(st.size() == 1);
  CHECK(st.heartbeat(c.pk, "v", "", midnight + 4 * 86400 * sec) == ut::heartbeat_result::credited);
}
