#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
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
