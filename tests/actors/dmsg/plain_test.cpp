// The dmsg client's plain classes: flow control, port table, back-off.
#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/flow_control.hpp"
#include "actors/dmsg/port_table.hpp"

using namespace skywire;

TEST_CASE("flow control: send window is consumed and granted") {
  dmsg::flow_control fc{1000};
  CHECK(fc.send_window() == 1000);
  CHECK(fc.take(600) == 600);
  CHECK(fc.take(600) == 400);
  CHECK(fc.take(1) == 0);
  CHECK(fc.grant(50));
  CHECK(fc.send_window() == 50);
  CHECK_FALSE(fc.grant(UINT32_MAX)); // overflow: a protocol error, nothing changes
  CHECK(fc.send_window() == 50);
  CHECK(fc.grant(UINT32_MAX - 50));
  CHECK(fc.send_window() == UINT32_MAX);
}

TEST_CASE("flow control: receive window opens only for consumed bytes, in halves") {
  dmsg::flow_control fc{1000};
  CHECK(fc.on_received(800));
  CHECK(fc.recv_window() == 200);
  CHECK_FALSE(fc.on_received(201)); // the peer overran the window
  fc.delivered(700, 800);           // 800 cipher bytes carried 700 plaintext
  CHECK(fc.unconsumed() == 700);
  CHECK_FALSE(fc.take_update());    // nothing consumed yet
  fc.consumed(300);
  CHECK_FALSE(fc.take_update());    // the delivery is only partly consumed
  fc.consumed(400);
  CHECK(fc.unconsumed() == 0);
  auto u = fc.take_update();
  REQUIRE(u);
  CHECK(*u == 800);
  CHECK(fc.recv_window() == 1000);
  // Small credits wait until half a window.
  CHECK(fc.on_received(100));
  fc.delivered(74, 100);
  fc.consumed(74);
  CHECK_FALSE(fc.take_update());
  CHECK(fc.on_received(450));
  fc.credit_now(450);
  auto u2 = fc.take_update();
  REQUIRE(u2);
  CHECK(*u2 == 550);
  CHECK(fc.recv_window() == 1000);
  // Over-consumption never grants beyond the window.
  fc.consumed(1'000'000);
  CHECK_FALSE(fc.take_update());
}

namespace {
/// The peer sends a whole window, the owner consumes it all; the update.
std::optional<uint32_t> cycle(dmsg::flow_control& fc, dmsg::flow_control::clock::time_point now) {
  uint32_t w = fc.recv_window();
  if (!fc.on_received(w))
    return std::nullopt;
  fc.delivered(w, w);
  fc.consumed(w);
  return fc.take_update(now);
}
} // namespace

TEST_CASE("flow control: the receive window grows while the consumer keeps up, up to its cap") {
  using namespace std::chrono_literals;
  dmsg::flow_control fc{1000, 8000, 4ms};
  dmsg::flow_control::clock::time_point t{1s};
  CHECK(fc.max_window() == 1000);
  // A window that cycles fast doubles; the update carries the extra, so the
  // peer's view (recv_window) and ours stay equal.
  auto u = cycle(fc, t);
  REQUIRE(u);
  CHECK(*u == 1000);      // the epoch starts: no growth yet
  u = cycle(fc, t + 1ms);
  REQUIRE(u);
  CHECK(*u == 2000);      // 1000 credited + 1000 more window
  CHECK(fc.max_window() == 2000);
  CHECK(fc.recv_window() == 2000);
  u = cycle(fc, t + 2ms);
  REQUIRE(u);
  CHECK(fc.max_window() == 4000);
  CHECK(fc.recv_window() == 4000);
  u = cycle(fc, t + 3ms);
  REQUIRE(u);
  CHECK(fc.max_window() == 8000);
  u = cycle(fc, t + 4ms);
  REQUIRE(u);
  CHECK(fc.max_window() == 8000); // the cap
  CHECK(fc.recv_window() == 8000);
  CHECK_FALSE(fc.on_received(8001));
}

TEST_CASE("flow control: a slow consumer keeps the window it has") {
  using namespace std::chrono_literals;
  dmsg::flow_control fc{1000, 8000, 4ms};
  dmsg::flow_control::clock::time_point t{1s};
  for (int i = 0; i < 10; ++i) {
    auto u = cycle(fc, t + i * 10ms); // a window every 10 ms: slower than 4 ms
    REQUIRE(u);
    CHECK(*u == 1000);
  }
  CHECK(fc.max_window() == 1000);
  // Without a clock (the default) the window never grows.
  dmsg::flow_control fixed{1000};
  for (int i = 0; i < 4; ++i)
    CHECK(cycle(fixed, t) == std::optional<uint32_t>{1000});
  CHECK(fixed.max_window() == 1000);
}

TEST_CASE("port table: listeners, ephemeral ports, release and wrap") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto a = sys.spawn([]() -> caf::behavior { return {[](int) {}}; });
  auto b = sys.spawn([]() -> caf::behavior { return {[](int) {}}; });
  dmsg::port_table t;
  CHECK_FALSE(t.listen(80, a));
  auto dup = t.listen(80, b);
  CHECK(dmsg::is(dup, dmsg::dmsg_errc::listener_port_occupied));
  CHECK(dmsg::is(t.listen(0, a), dmsg::dmsg_errc::listener_port_occupied));
  CHECK_FALSE(t.listen(22, b));
  CHECK(t.listener(80) == a);
  CHECK(t.listening_ports() == std::vector<uint16_t>{22, 80});
  t.unlisten_all(b.address());
  CHECK_FALSE(t.listener(22));
  t.unlisten(80);
  CHECK(t.listening_ports().empty());

  // Ephemeral ports count up from 49152, skip listeners, wrap and run out.
  CHECK_FALSE(t.listen(49153, a));
  auto p1 = t.reserve_ephemeral();
  auto p2 = t.reserve_ephemeral();
  REQUIRE(p1);
  REQUIRE(p2);
  CHECK(*p1 == 49152);
  CHECK(*p2 == 49154);
  CHECK(dmsg::is(t.listen(49152, a), dmsg::dmsg_errc::listener_port_occupied));
  size_t n = 2;
  while (t.reserve_ephemeral())
    ++n;
  CHECK(n == 16384 - 1); // all but the listener's port
  CHECK(t.ephemeral_in_use() == n);
  t.release(50000);
  auto again = t.reserve_ephemeral();
  REQUIRE(again);
  CHECK(*again == 50000);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("back-off grows by the factor up to the cap and resets") {
  dmsg::backoff b{1000, 1.5, 3000};
  CHECK(b.next_ms() == 1000);
  CHECK(b.next_ms() == 1500);
  CHECK(b.next_ms() == 2250);
  CHECK(b.next_ms() == 3000);
  CHECK(b.next_ms() == 3000);
  b.reset();
  CHECK(b.next_ms() == 1000);
}
