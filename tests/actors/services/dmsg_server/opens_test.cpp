// session_opens driven directly: the stream open protocol between two server
// sessions on the callers' threads (no sockets, no actors), with resets and
// closes in the middle of an open, the response deadline, and concurrent
// opens in both directions from two threads.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "runtime/crypto/hash.hpp"
#include "tests/actors/services/dmsg_server/opens_fakes.hpp"

using namespace dmsg_opens_test;

namespace {

struct pair_fixture {
  std::shared_ptr<sw::services::dmsg_session_context> ctx = make_ctx();
  session a{ctx};
  session b{ctx};

  /// A opens a stream to B; returns (X on A, Y on B) once B's client has
  /// the request (checked byte for byte).
  std::pair<uint32_t, uint32_t> start() {
    dm::signed_request sr;
    auto x = a.request(b, &sr);
    b.read();
    auto in = b.incoming();
    REQUIRE(in.size() == 1);
    auto y = in.front();
    CHECK(*b.seen.at(y).object == sr.bytes); // the same signed bytes, B's keys
    CHECK(a.opens->pending() == 1);
    CHECK(b.opens->pending() == 1);
    return {x, y};
  }

  /// Both clients read what the server wrote; both saw RST on (x, y) and
  /// no open is left pending on either session.
  void check_both_reset(uint32_t x, uint32_t y) {
    a.read();
    b.read();
    CHECK(a.seen.at(x).rst);
    CHECK(b.seen.at(y).rst);
    CHECK(a.opens->pending() == 0);
    CHECK(b.opens->pending() == 0);
  }
};

} // namespace

TEST_CASE("opens: request, response and splice between two sessions, no actor") {
  pair_fixture f;
  auto [x, y] = f.start();
  CHECK(y == 2);
  f.b.respond(y);
  f.a.read();
  auto& v = f.a.seen.at(x);
  REQUIRE(v.object);
  auto resp = dm::verify_stream_response(*v.object, sw::crypto::sha256(*f.b.seen.at(y).object),
                                         f.b.client.pk, true);
  CHECK(resp);
  CHECK(f.a.opens->pending() == 0);
  CHECK(f.b.opens->pending() == 0);
  // Spliced: data both ways, on the io thread of the sender.
  f.a.send(x, bytes(100, 7));
  f.b.read();
  CHECK(f.b.seen.at(y).data == bytes(100, 7));
  f.b.send(y, bytes(50, 9));
  f.a.read();
  CHECK(f.a.seen.at(x).data == bytes(50, 9));
  CHECK(f.a.thread->timers_pending() == 0);
  CHECK(f.b.thread->timers_pending() == 0); // the deadline was cancelled
}

TEST_CASE("opens: bytes right after the object wait for the splice, in order") {
  pair_fixture f;
  dm::signed_request sr;
  auto x = f.a.request(f.b, &sr);
  f.a.send(x, bytes{1, 2, 3}); // before B exists on the stream
  f.b.read();
  auto y = f.b.incoming().at(0);
  f.b.respond(y, true, bytes{4, 5}); // glued to the response
  f.a.read();
  f.b.read();
  CHECK(f.a.seen.at(x).data == bytes{4, 5});
  CHECK(f.b.seen.at(y).data == bytes{1, 2, 3});
}

TEST_CASE("opens: a refused response is forwarded, a bad one resets both sides") {
  pair_fixture f;
  auto [x, y] = f.start();
  f.b.respond(y, false);
  f.a.read();
  REQUIRE(f.a.seen.at(x).object); // A learns the reason
  pair_fixture g;
  auto [x2, y2] = g.start();
  g.b.send(y2, bytes(30, 0)); // not an object (length 0 < 24)
  g.a.read();
  g.b.read();
  CHECK(g.a.seen.at(x2).rst);
  CHECK(g.b.seen.at(y2).rst);
  CHECK(g.a.opens->pending() == 0);
  CHECK(g.b.opens->pending() == 0);
}

TEST_CASE("opens: a forged signature is checked after forwarding and resets both sides") {
  // The signature is verified once the object is on its way (off the open's
  // critical path); a bad one then resets both ends.
  SUBCASE("request: B gets it, then RST; A gets RST") {
    pair_fixture f;
    auto x = f.a.request(f.b, nullptr, true);
    f.b.read();
    REQUIRE(f.b.seen.size() == 1);
    auto y = f.b.seen.begin()->first;
    CHECK(f.b.seen.at(y).syn);
    CHECK(f.b.seen.at(y).object); // forwarded before the check
    f.check_both_reset(x, y);
  }
  SUBCASE("response: A gets it, then RST; B gets RST; nothing is spliced") {
    pair_fixture f;
    auto [x, y] = f.start();
    f.b.respond(y, true, {}, true);
    f.a.deliver(); // the reset of a spliced stream reaches A's session as an event
    f.a.read();
    CHECK(f.a.seen.at(x).object);
    f.check_both_reset(x, y);
    // No relaying on the dead stream.
    f.b.send(y, bytes(10, 1));
    f.a.read();
    CHECK(f.a.seen.at(x).data.empty());
  }
}

TEST_CASE("opens: either client resets in the middle of an open") {
  SUBCASE("A's client resets X: B's stream Y is cancelled") {
    pair_fixture f;
    auto [x, y] = f.start();
    f.a.link->on_data(yamux_frame(ym::frame_type::window_update, ym::flag::rst, x));
    f.b.read();
    CHECK(f.b.seen.at(y).rst);
    CHECK(f.a.opens->pending() == 0);
    CHECK(f.b.opens->pending() == 0);
    // A late response finds nothing.
    f.b.respond(y);
    f.a.read();
    CHECK(!f.a.seen.at(x).object);
  }
  SUBCASE("B's client resets Y: A's stream X is reset") {
    pair_fixture f;
    auto [x, y] = f.start();
    f.b.link->on_data(yamux_frame(ym::frame_type::window_update, ym::flag::rst, y));
    f.a.read();
    CHECK(f.a.seen.at(x).rst);
    CHECK(f.a.opens->pending() == 0);
    CHECK(f.b.opens->pending() == 0);
  }
  SUBCASE("A's client sends FIN before its request is complete") {
    pair_fixture f;
    f.a.link->on_data(yamux_frame(ym::frame_type::window_update, ym::flag::syn, 1));
    f.a.send(1, bytes{0, 40, 1, 2}, ym::flag::fin);
    f.a.read();
    CHECK(f.a.seen.at(1).rst);
    CHECK(f.a.opens->pending() == 0);
  }
}

TEST_CASE("opens: either session closes in the middle of an open") {
  SUBCASE("A closes: B's stream is reset, B's late response goes nowhere") {
    pair_fixture f;
    auto [x, y] = f.start();
    f.a.opens->close();
    f.a.link->shutdown();
    f.b.read();
    CHECK(f.b.seen.at(y).rst);
    CHECK(f.b.opens->pending() == 0);
    CHECK(f.a.opens->pending() == 0);
  }
  SUBCASE("B closes: A's stream is reset; new opens to B are refused") {
    pair_fixture f;
    auto [x, y] = f.start();
    f.b.opens->close();
    f.b.link->shutdown();
    f.a.read();
    CHECK(f.a.seen.at(x).rst);
    CHECK(f.a.opens->pending() == 0);
    auto x2 = f.a.request(f.b);
    f.a.read();
    CHECK(f.a.seen.at(x2).rst);
    CHECK(f.a.opens->pending() == 0);
  }
  SUBCASE("A closes while B is opening its stream: B's stream is cancelled after") {
    pair_fixture f;
    // B's first write (SYN + request) runs inside B.open(), on A's thread:
    // A's session closes then, as from its actor's thread.
    f.b.sink->on_write = [&] { f.a.opens->close(); };
    auto x = f.a.request(f.b);
    f.b.read();
    REQUIRE(f.b.seen.size() == 1);
    auto y = f.b.seen.begin()->first;
    CHECK(f.b.seen.at(y).syn);
    CHECK(f.b.seen.at(y).rst); // cancelled once open() returned
    CHECK(f.a.opens->pending() == 0);
    CHECK(f.b.opens->pending() == 0);
    f.a.read();
    CHECK(!f.a.seen.at(x).object);
  }
}

TEST_CASE("opens: the response deadline on the session's timer wheel") {
  SUBCASE("armed on B's own thread") {
    pair_fixture f;
    auto [x, y] = f.start();
    CHECK(f.b.thread->timers_pending() == 1);
    f.b.thread->advance(19s);
    f.a.read();
    CHECK(!f.a.seen.at(x).rst);
    f.b.thread->advance(1s);
    f.check_both_reset(x, y);
  }
  SUBCASE("opened from A's shard: on A's wheel, B's thread is not woken") {
    pair_fixture f;
    f.b.thread->owner = std::thread::id{}; // A's caller is not on B's thread
    auto [x, y] = f.start();
    CHECK(f.b.thread->timers_pending() == 0);
    CHECK(f.a.thread->timers_pending() == 1);
    CHECK(f.b.thread->run_posted() == 0);
    f.a.thread->advance(20s);
    f.check_both_reset(x, y);
  }
  SUBCASE("a response read on another shard leaves A's timer, which then finds nothing") {
    pair_fixture f;
    f.b.thread->owner = std::thread::id{};
    auto [x, y] = f.start();
    f.b.thread->owner = std::this_thread::get_id();
    f.a.thread->owner = std::thread::id{}; // B reads the response on its own shard
    f.b.respond(y);
    CHECK(f.a.thread->timers_pending() == 1);
    f.a.thread->owner = std::this_thread::get_id();
    f.a.thread->advance(20s);
    f.a.read();
    f.b.read();
    CHECK(f.a.seen.at(x).object);
    CHECK(!f.a.seen.at(x).rst);
    CHECK(!f.b.seen.at(y).rst);
  }
  SUBCASE("opened from neither shard: posted to B's; a response first makes it a no-op") {
    pair_fixture f;
    f.a.thread->owner = std::thread::id{};
    f.b.thread->owner = std::thread::id{};
    auto [x, y] = f.start();
    CHECK(f.a.thread->timers_pending() == 0);
    f.b.thread->owner = std::this_thread::get_id();
    CHECK(f.b.thread->run_posted() == 1);
    CHECK(f.b.thread->timers_pending() == 1);
    f.b.thread->advance(20s);
    f.a.read();
    CHECK(f.a.seen.at(x).rst);
    CHECK(f.b.opens->pending() == 0);
    pair_fixture g;
    g.a.thread->owner = std::thread::id{};
    g.b.thread->owner = std::thread::id{};
    auto [x2, y2] = g.start();
    g.b.thread->owner = std::this_thread::get_id();
    g.b.respond(y2);
    CHECK(g.b.thread->run_posted() == 1);
    CHECK(g.b.thread->timers_pending() == 0);
    g.a.read();
    CHECK(g.a.seen.at(x2).object);
  }
}

TEST_CASE("opens: concurrent opens in both directions from two io threads") {
  auto ctx = make_ctx();
  session a{ctx}, b{ctx};
  constexpr int n = 64;
  std::atomic<bool> failed{false};
  auto drive = [&](session& me, session& other) {
    me.thread->owner = std::this_thread::get_id();
    std::set<uint32_t> mine, answered;
    int opened = 0, echoed = 0;
    for (int i = 0; i < n; ++i)
      mine.insert(me.request(other));
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (opened < n || echoed < n) {
      if (std::chrono::steady_clock::now() > deadline) {
        failed = true;
        return;
      }
      me.sink->wait(100ms);
      me.thread->run_posted();
      me.read();
      me.deliver();
      for (auto id : me.incoming())
        if (answered.insert(id).second)
          me.respond(id, true);
      opened = 0;
      echoed = 0;
      for (auto id : mine) {
        auto& v = me.seen[id];
        if (v.rst)
          failed = true;
        if (v.object && v.data.empty()) {
          v.data.push_back(0); // marks "sent"
          me.send(id, bytes{static_cast<uint8_t>(id & 0xff)});
        }
        opened += v.object ? 1 : 0;
      }
      for (auto id : answered)
        echoed += me.seen[id].data.size() == 1 ? 1 : 0;
      if (failed)
        return;
    }
  };
  std::thread ta([&] { drive(a, b); });
  std::thread tb([&] { drive(b, a); });
  ta.join();
  tb.join();
  CHECK(!failed);
  CHECK(a.opens->pending() == 0);
  CHECK(b.opens->pending() == 0);
  CHECK(a.link->streams() == 2 * n);
  CHECK(b.link->streams() == 2 * n);
}
