// relay_rx, relay_tx and session_out driven directly with fake connections:
// windows, coalesced window updates, credit only for bytes written, the
// connection's soft bound, FIN after data, and refused writes resetting the
// stream toward both clients instead of dropping it.
#include <doctest/doctest.h>

#include <memory>

#include "tests/actors/services/dmsg_server/relay_fakes.hpp"

using namespace dmsg_relay_test;

namespace {

constexpr uint32_t window = 256 * 1024;

/// A (sender, stream 1) -> B (reader, stream 2): A's receive window and B's
/// relay_tx, spliced.
struct pair_fixture {
  std::shared_ptr<fake_sink> a_sink = std::make_shared<fake_sink>();
  std::shared_ptr<fake_sink> b_sink = std::make_shared<fake_sink>();
  std::shared_ptr<fake_events> a_ev = std::make_shared<fake_events>();
  std::shared_ptr<fake_events> b_ev = std::make_shared<fake_events>();
  std::shared_ptr<rl::relay_stats> stats = std::make_shared<rl::relay_stats>();
  std::shared_ptr<rl::session_out> a_out =
    std::make_shared<rl::session_out>(a_sink, 1 << 20, a_ev, stats);
  std::shared_ptr<rl::session_out> b_out =
    std::make_shared<rl::session_out>(b_sink, 1 << 20, b_ev, stats);
  rl::relay_rx_ptr rx_a = std::make_shared<rl::relay_rx>(a_sink, 1, window);
  rl::relay_tx_ptr tx_b = std::make_shared<rl::relay_tx>(b_out, 2, window, 2 * window);

  pair_fixture() {
    tx_b->set_source(rx_a, a_out);
    tx_b->open();
  }
  /// A's client sends n bytes: taken from its window, pushed toward B.
  rl::relay_tx::push_result send(size_t n, uint8_t fill = 7) {
    REQUIRE(rx_a->take(static_cast<uint32_t>(n)));
    return tx_b->push(with_headroom(bytes(n, fill)));
  }
};

uint32_t window_updates(std::vector<frame> fs, uint32_t id) {
  uint32_t n = 0;
  for (auto& f : fs)
    if (f.hdr.type == ym::frame_type::window_update && f.hdr.stream_id == id)
      n += f.hdr.length;
  return n;
}

} // namespace

TEST_CASE("relay_rx: window enforced, updates coalesced below half, relay buffer widens") {
  auto sink = std::make_shared<fake_sink>();
  rl::relay_rx rx(sink, 5, window);
  CHECK(rx.take(100 * 1024));
  rx.credit(100 * 1024); // remaining 156 KiB >= half: nothing written yet
  CHECK(sink->frames().empty());
  CHECK(rx.take(50 * 1024)); // 106 KiB < 128 KiB: the owed 100 KiB go out
  auto fs = sink->frames();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].hdr.type == ym::frame_type::window_update);
  CHECK(fs[0].hdr.stream_id == 5);
  CHECK(fs[0].hdr.length == 100 * 1024);
  CHECK(rx.window() == 206 * 1024);
  CHECK(!rx.take(window)); // beyond the window: protocol error
  rx.credit(window);       // more than was taken: capped at the bound
  rx.widen(window);        // relay buffer: bound 512 KiB
  CHECK(rx.bound() == 2 * window);
  CHECK(rx.take(300 * 1024));
  CHECK(window_updates(sink->frames(), 5) == 50 * 1024 + window);
  CHECK(rx.window() == 2 * window - 300 * 1024);
}

TEST_CASE("relay_rx: a window relayed fast grows, within the session's budget, returned at the end") {
  auto sink = std::make_shared<fake_sink>();
  auto budget = std::make_shared<rl::window_budget>(1 << 20);
  // Moves `total` bytes through rx in 64 KiB steps, each credited at once
  // (a reader that keeps up); true if the client was never beyond its window.
  auto cycle = [](rl::relay_rx& rx, size_t total, bool reader_idle = true,
                  uint32_t frame = 64 * 1024) {
    for (size_t done = 0; done < total; done += frame) {
      if (!rx.take(frame))
        return false;
      rx.credit(frame, reader_idle);
    }
    return true;
  };
  auto a = std::make_unique<rl::relay_rx>(sink, 1, window);
  a->widen(window); // the relay buffer: 512 KiB
  // A whole window always counts as fast here (the interval is an hour).
  a->allow_growth(2 << 20, std::chrono::hours{1}, budget);
  REQUIRE(cycle(*a, 2 * window + 64 * 1024)); // the first credit starts the clock
  CHECK(a->bound() == 4 * window);            // doubled: 1 MiB
  CHECK(budget->left() == 2 * window);
  REQUIRE(cycle(*a, 8 * window));
  CHECK(a->bound() == 4 * window); // doubling again needs 1 MiB: only 512 KiB left
  // The client learns the growth: once its window runs low, everything owed
  // goes out and it may have the whole new bound in flight.
  auto w0 = a->window();
  CHECK(a->take(w0));
  CHECK(w0 + a->window() == a->bound());
  const uint64_t taken = (2 * window + 64 * 1024) + 8 * window + w0;
  CHECK(window + window_updates(sink->frames(), 1) - taken == a->window());

  auto b = std::make_unique<rl::relay_rx>(sink, 3, window);
  b->widen(window);
  b->allow_growth(2 << 20, std::chrono::hours{1}, budget);
  REQUIRE(cycle(*b, 3 * window));
  CHECK(b->bound() == 4 * window); // took the last 512 KiB
  CHECK(budget->left() == 0);
  a.reset(); // a stream that ends gives its growth back
  CHECK(budget->left() == 2 * window);

  // A reader that is slow (no whole window within the interval) never grows.
  auto slow = std::make_unique<rl::relay_rx>(sink, 5, window);
  slow->widen(window);
  slow->allow_growth(2 << 20, std::chrono::nanoseconds{0}, budget);
  REQUIRE(cycle(*slow, 16 * window));
  CHECK(slow->bound() == 2 * window);
  CHECK(budget->left() == 2 * window);
  // Nor does a fast one whose reader's connection is backed up: more window
  // would only pile bytes up in the server.
  auto backed_up = std::make_unique<rl::relay_rx>(sink, 7, window);
  backed_up->widen(window);
  backed_up->allow_growth(2 << 20, std::chrono::hours{1}, budget);
  REQUIRE(cycle(*backed_up, 16 * window, false));
  CHECK(backed_up->bound() == 2 * window);
  CHECK(budget->left() == 2 * window);
  // Nor one whose client sends small frames (4 KiB, as Go senders do).
  auto small = std::make_unique<rl::relay_rx>(sink, 9, window);
  small->widen(window);
  small->allow_growth(2 << 20, std::chrono::hours{1}, budget);
  REQUIRE(cycle(*small, 16 * window, true, 4096));
  CHECK(small->bound() == 2 * window);
  CHECK(budget->left() == 2 * window);
}

TEST_CASE("relay_tx: direct within the window, queued beyond it, credit only for bytes written") {
  pair_fixture p;
  CHECK(p.send(200 * 1024) == rl::relay_tx::push_result::ok);
  auto fs = p.b_sink->frames();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].hdr.type == ym::frame_type::data);
  CHECK(fs[0].hdr.stream_id == 2); // the reader's stream id
  CHECK(fs[0].body.size() == 200 * 1024);
  // B's window has 56 KiB left: 50 KiB more go at once, 6 KiB + 44 KiB wait.
  CHECK(p.send(50 * 1024) == rl::relay_tx::push_result::ok);
  CHECK(p.send(50 * 1024) == rl::relay_tx::push_result::ok);
  fs = p.b_sink->frames();
  REQUIRE(fs.size() == 2);
  CHECK(fs[1].body.size() == 6 * 1024); // split to the window
  CHECK(p.tx_b->queued() == 44 * 1024);
  CHECK(p.stats->queued.load() == 44 * 1024);
  CHECK(p.tx_b->send_window() == 0);
  // A was credited for the 256 KiB written, not for the 44 KiB waiting; of
  // the credit, 200 KiB went out (A fell below half), 56 KiB are owed.
  CHECK(p.rx_a->window() == window - 100 * 1024);
  CHECK(window_updates(p.a_sink->frames(), 1) == 200 * 1024);
  // B's client opens its window: the rest is written, A credited.
  CHECK(p.tx_b->add_window(window));
  fs = p.b_sink->frames();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].body.size() == 44 * 1024);
  CHECK(p.tx_b->queued() == 0);
  CHECK(p.stats->queued.load() == 0);
  CHECK(p.rx_a->window() == window - 100 * 1024); // owed 100 KiB, A above half
  REQUIRE(p.rx_a->take(30 * 1024));               // below half: the owed credit goes out
  CHECK(window_updates(p.a_sink->frames(), 1) == 100 * 1024);
  CHECK(p.rx_a->window() == window - 30 * 1024);
  CHECK(!p.tx_b->add_window(0xffffffffu)); // overflow
}

TEST_CASE("relay_tx: a full reader connection stops the credit, its drain resumes it") {
  pair_fixture p;
  p.b_sink->queued = 2 << 20; // the reader does not read: over the 1 MiB soft bound
  CHECK(p.send(64 * 1024) == rl::relay_tx::push_result::ok);
  CHECK(p.b_sink->frames().empty());
  CHECK(p.tx_b->queued() == 64 * 1024);
  CHECK(p.rx_a->window() == window - 64 * 1024); // not credited: A will stall
  CHECK(!p.b_out->take_blocked());               // still full
  CHECK(!p.b_sink->closed);                      // and the session is not closed
  p.b_sink->queued = 0; // the connection drained
  REQUIRE(p.b_out->take_blocked());
  CHECK(!p.b_out->take_blocked()); // once
  p.tx_b->pump();
  auto fs = p.b_sink->frames();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].body.size() == 64 * 1024);
  CHECK(p.tx_b->queued() == 0);
  CHECK(p.stats->queued_peak.load() == 64 * 1024);
}

TEST_CASE("relay_tx: nothing flows before open, the object goes first, FIN after the data") {
  auto b_sink = std::make_shared<fake_sink>();
  auto b_ev = std::make_shared<fake_events>();
  auto a_sink = std::make_shared<fake_sink>();
  auto a_ev = std::make_shared<fake_events>();
  auto b_out = std::make_shared<rl::session_out>(b_sink, 1 << 20, b_ev);
  auto a_out = std::make_shared<rl::session_out>(a_sink, 1 << 20, a_ev);
  auto rx = std::make_shared<rl::relay_rx>(a_sink, 3, window);
  rl::relay_tx tx(b_out, 4, window, 2 * window);
  tx.set_source(rx, a_out);
  REQUIRE(rx.get()->take(10));
  CHECK(tx.push(with_headroom(bytes(10, 1))) == rl::relay_tx::push_result::ok);
  tx.finish();
  CHECK(b_sink->frames().empty());
  CHECK(tx.open_with(bytes(100, 9)));
  auto fs = b_sink->frames();
  REQUIRE(fs.size() == 3);
  CHECK(fs[0].body == bytes(100, 9));
  CHECK(fs[1].body == bytes(10, 1));
  CHECK(fs[2].hdr.has(ym::flag::fin));
  CHECK(tx.fin_sent());
  CHECK(b_ev->fins == std::vector<uint32_t>{4});
  // Data after the sender's FIN: the stream is reset, not silently dropped.
  CHECK(tx.push(with_headroom(bytes(5, 1))) == rl::relay_tx::push_result::closed);
  CHECK(b_ev->resets == std::vector<uint32_t>{4});
  rl::relay_tx small(b_out, 6, 50, 2 * window);
  CHECK(!small.open_with(bytes(100, 9))); // the object must fit the window
}

TEST_CASE("relay_tx: a refused write resets the stream toward both clients, no credit") {
  pair_fixture p;
  p.b_sink->refuse = true; // closed, or over its hard bound
  CHECK(p.send(1000) == rl::relay_tx::push_result::closed);
  CHECK(p.b_ev->resets == std::vector<uint32_t>{2});
  CHECK(p.a_ev->resets == std::vector<uint32_t>{1});
  CHECK(p.rx_a->window() == window - 1000);
  CHECK(p.stats->queued.load() == 0);
  // Queued data refused later (drain): the same.
  pair_fixture q;
  CHECK(q.send(window) == rl::relay_tx::push_result::ok);
  CHECK(q.send(1000) == rl::relay_tx::push_result::ok); // waits for B's window
  q.b_sink->refuse = true;
  CHECK(q.tx_b->add_window(window));
  CHECK(q.b_ev->resets == std::vector<uint32_t>{2});
  CHECK(q.a_ev->resets == std::vector<uint32_t>{1});
  CHECK(q.tx_b->queued() == 0);
  CHECK(q.stats->queued.load() == 0);
  // A closed relay refuses pushes: the sender resets its side.
  pair_fixture r;
  r.tx_b->close();
  CHECK(r.send(10) == rl::relay_tx::push_result::closed);
}

TEST_CASE("relay_tx: more than the sender's credit allows resets the stream") {
  pair_fixture p;
  p.b_sink->queued = 2 << 20;
  CHECK(p.send(window) == rl::relay_tx::push_result::ok);
  CHECK(p.tx_b->push(with_headroom(bytes(window + 1, 1))) == rl::relay_tx::push_result::closed);
  CHECK(p.b_ev->resets == std::vector<uint32_t>{2});
  CHECK(p.stats->queued.load() == 0);
}
