#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include <boost/asio/post.hpp>

#include "runtime/io/io_runtime.hpp"
#include "runtime/io/shard_timers.hpp"
#include "runtime/io/timer_wheel.hpp"

using namespace std::chrono_literals;
using skywire::io::timer_wheel;

TEST_CASE("timer wheel: never early, in order, across turns of the wheel") {
  auto t0 = timer_wheel::clock::now();
  timer_wheel w{t0, 10ms, 8}; // one turn = 80 ms
  std::vector<int> fired;
  w.schedule(t0, 25ms, [&] { fired.push_back(25); });
  w.schedule(t0, 5ms, [&] { fired.push_back(5); });
  w.schedule(t0, 200ms, [&] { fired.push_back(200); }); // two and a half turns
  w.schedule(t0, 0ms, [&] { fired.push_back(0); });
  CHECK(w.size() == 4);
  CHECK(w.advance(t0) == 1); // due now
  CHECK(fired == std::vector<int>{0});
  w.advance(t0 + 9ms);
  CHECK(fired == std::vector<int>{0}); // 5 ms rounds up to the 10 ms tick
  w.advance(t0 + 10ms);
  CHECK(fired == std::vector<int>{0, 5});
  w.advance(t0 + 29ms);
  CHECK(fired == std::vector<int>{0, 5});
  w.advance(t0 + 30ms);
  CHECK(fired == std::vector<int>{0, 5, 25});
  w.advance(t0 + 199ms); // passes the 200 ms slot twice: not due before its turn
  CHECK(fired.size() == 3);
  w.advance(t0 + 200ms);
  CHECK(fired == std::vector<int>{0, 5, 25, 200});
  CHECK(w.size() == 0);
}

TEST_CASE("timer wheel: cancel, reschedule from a callback, a late advance runs everything due") {
  auto t0 = timer_wheel::clock::now();
  timer_wheel w{t0, 10ms, 16};
  int a = 0, b = 0, c = 0;
  auto ida = w.schedule(t0, 50ms, [&] { ++a; });
  w.schedule(t0, 20ms, [&] {
    ++b;
    w.schedule(t0 + 20ms, 20ms, [&] { ++c; }); // periodic, like a keepalive
  });
  CHECK(w.cancel(ida));
  CHECK_FALSE(w.cancel(ida));
  REQUIRE(w.next_due());
  CHECK(*w.next_due() == t0 + 20ms);
  w.advance(t0 + 1s); // late: both the 20 ms timer and the one it scheduled run
  CHECK(a == 0);
  CHECK(b == 1);
  CHECK(c == 1);
  CHECK(w.size() == 0);
  CHECK_FALSE(w.next_due());
}

TEST_CASE("timer wheel: next_wake is the next due tick, never after it, across turns and cancels") {
  auto t0 = timer_wheel::clock::now();
  timer_wheel w{t0, 10ms, 8}; // one turn = 80 ms
  CHECK_FALSE(w.next_wake());
  auto far = w.schedule(t0, 200ms, [] {}); // tick 20, slot 4: two and a half turns ahead
  REQUIRE(w.next_wake());
  CHECK(*w.next_wake() == t0 + 200ms); // not the slot's earlier passes (40, 120 ms)
  auto near = w.schedule(t0, 25ms, [] {}); // tick 3 (rounded up)
  CHECK(*w.next_wake() == t0 + 30ms);
  auto same_slot = w.schedule(t0, 115ms, [] {}); // tick 12, slot 4 like the far one
  CHECK(*w.next_wake() == t0 + 30ms);
  CHECK(w.cancel(near));
  CHECK(*w.next_wake() == t0 + 120ms);
  CHECK(w.cancel(same_slot)); // the slot keeps a bound that is now low: never late
  CHECK(*w.next_wake() <= *w.next_due());
  CHECK(*w.next_wake() >= t0 + 120ms);
  CHECK(w.advance(t0 + 120ms) == 0); // the pass makes the bound exact again
  CHECK(*w.next_wake() == t0 + 200ms);
  CHECK(w.advance(t0 + 199ms) == 0);
  CHECK(w.advance(t0 + 200ms) == 1);
  CHECK_FALSE(w.next_wake());
  auto again = w.schedule(t0 + 200ms, 0ms, [] {});
  CHECK(*w.next_wake() == t0 + 210ms); // the current tick ran: the next one
  CHECK(w.cancel(again));
  CHECK_FALSE(w.cancel(far));
}

TEST_CASE("shard timers: an idle shard sleeps until its timer, and an earlier timer re-arms it") {
  skywire::io::io_runtime rt{1};
  auto& ctx = rt.context();
  using clock = std::chrono::steady_clock;
  // a timer d ahead on the shard (and, if asked, one also_far ahead first); the future holds when the near one fired
  auto fire_after = [&](std::chrono::milliseconds d, std::chrono::seconds also_far = 0s) {
    auto fired = std::make_shared<std::promise<clock::time_point>>();
    auto when = fired->get_future();
    boost::asio::post(ctx, [&ctx, d, also_far, fired] {
      auto& t = skywire::io::shard_timers::of(ctx);
      if (also_far > 0s)
        t.schedule(also_far, [] {});
      t.schedule(d, [fired] { fired->set_value(clock::now()); });
    });
    return when;
  };
  auto t0 = clock::now();
  auto far = fire_after(300ms);
  REQUIRE(far.wait_for(10s) == std::future_status::ready);
  CHECK(far.get() - t0 >= 300ms); // never early
  auto wakeups = [&] {
    std::promise<uint64_t> p;
    boost::asio::post(ctx, [&] { p.set_value(skywire::io::shard_timers::of(ctx).wakeups()); });
    return p.get_future().get();
  };
  // one wake-up for the timer (a tick-by-tick driver took 30); a second one
  // only if the timer fired a hair before the tick's boundary
  CHECK(wakeups() <= 2);

  // armed for a timer 30 s away, then one 20 ms away: the shard wakes for the near one
  auto t1 = clock::now();
  auto near = fire_after(20ms, 30s);
  REQUIRE(near.wait_for(10s) == std::future_status::ready);
  auto near_at = near.get();
  CHECK(near_at - t1 >= 20ms);
  CHECK(near_at - t1 < 5s); // not held back until the far timer's slot
  rt.stop();
}

TEST_CASE("shard timers: callbacks run on the shard's thread, cancel holds") {
  skywire::io::io_runtime rt{1};
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::atomic<int> cancelled_ran{0};
  std::thread::id shard_thread, fired_on;
  boost::asio::post(rt.context(), [&] {
    shard_thread = std::this_thread::get_id();
    auto& t = skywire::io::shard_timers::of(rt.context());
    auto id = t.schedule(20ms, [&] { cancelled_ran++; });
    t.schedule(30ms, [&] {
      fired_on = std::this_thread::get_id();
      std::lock_guard<std::mutex> g{m};
      done = true;
      cv.notify_all();
    });
    CHECK(t.cancel(id));
  });
  std::unique_lock<std::mutex> lk{m};
  REQUIRE(cv.wait_for(lk, 5s, [&] { return done; }));
  CHECK(fired_on == shard_thread);
  CHECK(cancelled_ran == 0);
  lk.unlock();
  rt.stop();
}
