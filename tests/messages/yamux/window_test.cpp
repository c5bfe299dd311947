// The yamux flow-control windows every endpoint uses (client streams and
// server relays): grants, overruns, credit, the half-window update rule.
#include <doctest/doctest.h>

#include "messages/wire/yamux/window.hpp"

using namespace skywire::wire::yamux;

TEST_CASE("yamux send window: grants add up, overflow is refused, takes are bounded") {
  send_window w{1000};
  CHECK(w.take(600) == 600);
  CHECK(w.take(600) == 400);
  CHECK(w.available() == 0);
  CHECK_FALSE(w.take_exact(1));
  CHECK(w.grant(100));
  CHECK(w.take_exact(100));
  CHECK(w.grant(UINT32_MAX));
  CHECK_FALSE(w.grant(1)); // past 2^32-1: a protocol error, nothing changes
  CHECK(w.available() == UINT32_MAX);
}

TEST_CASE("yamux receive window: overruns refused, credit granted back per half window") {
  recv_window w{1000};
  CHECK(w.receive(700));
  CHECK(w.window() == 300);
  CHECK_FALSE(w.receive(301));
  CHECK(w.window() == 300);
  w.credit(400);
  CHECK_FALSE(w.take_update()); // 400 < half of 1000
  w.credit(100);
  auto u = w.take_update();
  REQUIRE(u);
  CHECK(*u == 500);
  CHECK(w.window() == 800);
  // Credit never exceeds what is outstanding.
  w.credit(1'000'000);
  CHECK(w.pending() == 200);
  u = w.take_update();
  CHECK_FALSE(u); // 200 < 500
  CHECK(w.window() + w.pending() == w.bound());
}

TEST_CASE("yamux receive window: widen credits the extra, grow adds it to the current update") {
  recv_window w{1000};
  CHECK(w.receive(1000));
  w.widen(1000); // a relay's buffer once spliced
  CHECK(w.bound() == 2000);
  auto u = w.take_update();
  REQUIRE(u);
  CHECK(*u == 1000);
  CHECK(w.window() == 1000);
  CHECK(w.grow(500) == 500);
  CHECK(w.bound() == 2500);
  CHECK(w.window() == 1500);
  CHECK(w.window() + w.pending() <= w.bound());
}

TEST_CASE("yamux receive window, relay policy: all the credit goes once the window is below half") {
  using p = recv_window::policy;
  recv_window w{1000};
  CHECK(w.receive(300));
  w.credit(100);
  CHECK_FALSE(w.take_update(p::low_window)); // window 700 >= 500
  CHECK(w.receive(300));                     // window 400 < 500
  auto u = w.take_update(p::low_window);
  REQUIRE(u);
  CHECK(*u == 100); // small, but the sender never runs dry
  CHECK(w.window() == 500);
  CHECK_FALSE(w.take_update(p::low_window)); // nothing owed
}
