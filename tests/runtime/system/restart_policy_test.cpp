// runtime/system: restart back-off and give-up decisions (plain class).
#include <doctest/doctest.h>

#include <vector>

#include "runtime/system/restart_policy.hpp"

using namespace skywire::system;
using namespace std::chrono_literals;

TEST_CASE("back-off doubles from 100 ms and is capped at 5 s") {
  restart_policy p;
  p.max_restarts = 100;
  p.window = 1h;
  restart_tracker t{p};
  auto now = clock::time_point{} + 1h;
  t.started(now);
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) {
    now += 10ms;
    auto d = t.exited(true, now);
    REQUIRE(d.what == restart_tracker::action::restart);
    delays.push_back(static_cast<long>(d.delay.count()));
    t.started(now + d.delay);
  }
  CHECK(delays == std::vector<long>{100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000});
  CHECK(t.restarts() == 9);
}

TEST_CASE("too many restarts inside the window: give up") {
  restart_policy p; // 5 within 30 s
  restart_tracker t{p};
  auto now = clock::time_point{} + 1h;
  t.started(now);
  for (int i = 0; i < 5; ++i) {
    now += 1s;
    CHECK(t.exited(true, now).what == restart_tracker::action::restart);
    t.started(now);
  }
  now += 1s;
  CHECK(t.exited(true, now).what == restart_tracker::action::give_up);
  CHECK(t.restarts() == 5);
}

TEST_CASE("restarts outside the window are forgotten, a stable child resets the back-off") {
  restart_policy p;
  p.max_restarts = 2;
  p.window = 10s;
  p.stable_after = 5s;
  restart_tracker t{p};
  auto now = clock::time_point{} + 1h;
  t.started(now);
  now += 1s;
  CHECK(t.exited(true, now).delay == 100ms);
  t.started(now);
  now += 1s;
  CHECK(t.exited(true, now).delay == 200ms);
  t.started(now);
  // long run: window empties and back-off resets
  now += 20s;
  auto d = t.exited(true, now);
  CHECK(d.what == restart_tracker::action::restart);
  CHECK(d.delay == 100ms);
}

TEST_CASE("restart kinds: transient ignores normal exits, temporary never restarts") {
  auto now = clock::time_point{} + 1h;
  restart_tracker transient{restart_policy{}};
  CHECK(transient.exited(false, now).what == restart_tracker::action::stop);
  CHECK(transient.exited(true, now).what == restart_tracker::action::restart);
  restart_policy perm;
  perm.kind = restart_kind::permanent;
  restart_tracker permanent{perm};
  CHECK(permanent.exited(false, now).what == restart_tracker::action::restart);
  restart_policy temp;
  temp.kind = restart_kind::temporary;
  restart_tracker temporary{temp};
  CHECK(temporary.exited(true, now).what == restart_tracker::action::stop);
}
