// log_feed: samples of the links' payload totals become the growth recorded
// in the bandwidth logs; a replaced link continues from its own zero; close
// writes the final row (memory mode, injected clock).
#include <doctest/doctest.h>

#include "actors/transport/log_feed.hpp"

using namespace skywire;
namespace tp = skywire::transport;

namespace {

transport_id feed_id(uint8_t n) {
  transport_id id;
  id.bytes[0] = n;
  id.bytes[6] = 0x4a;
  id.bytes[8] = 0x80;
  return id;
}

tp::transport_log_config memory_logs() {
  tp::transport_log_config c; // no dir: memory
  c.clock = [] { return int64_t{1'700'000'000} * 1'000'000'000; };
  return c;
}

} // namespace

TEST_CASE("log_feed: growth between samples, per transport") {
  tp::transport_logs logs{memory_logs()};
  REQUIRE_FALSE(logs.open());
  tp::log_feed feed{logs};
  auto a = feed_id(1);
  auto b = feed_id(2);
  feed.sample(a, 7, 0, 0);
  CHECK(logs.get(a) == tp::transport_logs::counters{0, 0}); // counted from the start
  feed.sample(a, 7, 100, 40);
  feed.sample(b, 9, 5, 6);
  feed.sample(a, 7, 150, 40);
  CHECK(logs.get(a) == tp::transport_logs::counters{150, 40});
  CHECK(logs.get(b) == tp::transport_logs::counters{5, 6});
  CHECK(feed.tracked() == 2);
}

TEST_CASE("log_feed: a replaced link continues from its own zero") {
  tp::transport_logs logs{memory_logs()};
  REQUIRE_FALSE(logs.open());
  tp::log_feed feed{logs};
  auto a = feed_id(3);
  feed.sample(a, 1, 1000, 2000);
  feed.sample(a, 2, 10, 20); // the new link's own totals
  CHECK(logs.get(a) == tp::transport_logs::counters{1010, 2020});
  feed.sample(a, 2, 15, 20);
  CHECK(logs.get(a) == tp::transport_logs::counters{1015, 2020});
}

TEST_CASE("log_feed: close takes a last sample and ends the row") {
  tp::transport_logs logs{memory_logs()};
  REQUIRE_FALSE(logs.open());
  tp::log_feed feed{logs};
  auto a = feed_id(4);
  feed.sample(a, 1, 10, 10);
  CHECK_FALSE(feed.close(a, 1, 32, 64));
  CHECK(feed.tracked() == 0);
  CHECK(logs.get(a) == tp::transport_logs::counters{32, 64});
  auto rows = logs.rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].recv == 32);
  CHECK(rows[0].sent == 64);
  // the same transport again the same day continues its row
  feed.sample(a, 5, 8, 0);
  CHECK(logs.get(a) == tp::transport_logs::counters{40, 64});
}
