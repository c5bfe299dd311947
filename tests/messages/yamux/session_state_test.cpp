#include <doctest/doctest.h>

#include "messages/wire/yamux/session_state.hpp"
#include "tests/messages/gob/vectors.hpp"

using namespace skywire;
using namespace skywire::wire::yamux;
using skywire::test::hex;
using skywire::test::unhex;

namespace {

using ek = event::kind;

// Moves every queued byte from a to b and back until both are quiet.
void pump(session_state& a, session_state& b, std::vector<event>& ea, std::vector<event>& eb) {
  for (int round = 0; round < 64; ++round) {
    bool moved = false;
    if (a.has_output()) {
      auto bytes = a.take_output();
      REQUIRE_FALSE(b.receive(bytes));
      moved = true;
    }
    if (b.has_output()) {
      auto bytes = b.take_output();
      REQUIRE_FALSE(a.receive(bytes));
      moved = true;
    }
    for (auto& e : a.take_events())
      ea.push_back(std::move(e));
    for (auto& e : b.take_events())
      eb.push_back(std::move(e));
    if (!moved)
      return;
  }
  FAIL("pump did not settle");
}

size_t count(const std::vector<event>& es, ek k) {
  size_t n = 0;
  for (auto& e : es)
    n += e.k == k;
  return n;
}

} // namespace

TEST_CASE("yamux session: open, accept, data, close, as the reference writes them") {
  session_state client{role::client}, server{role::server};
  auto id = client.open_stream();
  REQUIRE(id);
  CHECK(*id == 1);
  CHECK(hex(client.take_output()) == "000100010000000100000000");
  // Re-feed that SYN to the server.
  REQUIRE_FALSE(server.receive(unhex("000100010000000100000000")));
  auto evs = server.take_events();
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].k == ek::stream_opened);
  CHECK(evs[0].stream_id == 1);
  REQUIRE_FALSE(server.accept(1));
  CHECK(hex(server.take_output()) == "000100020000000100000000");
  REQUIRE_FALSE(client.receive(unhex("000100020000000100000000")));
  evs = client.take_events();
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].k == ek::stream_accepted);
  std::string hello = "hello";
  auto n = client.write(1, byte_span{reinterpret_cast<const uint8_t*>(hello.data()), 5});
  REQUIRE(n);
  CHECK(*n == 5);
  CHECK(hex(client.take_output()) == "00000000000000010000000568656c6c6f");
  CHECK(client.ping() == 0);
  CHECK(hex(client.take_output()) == "000200010000000000000000");
  REQUIRE_FALSE(server.receive(unhex("000200010000000000000000")));
  CHECK(hex(server.take_output()) == "000200020000000000000000");
  REQUIRE_FALSE(client.close_stream(1));
  CHECK(hex(client.take_output()) == "000100040000000100000000");
  client.go_away();
  CHECK(hex(client.take_output()) == "000300000000000000000000");
  CHECK_FALSE(client.open_stream());
}

TEST_CASE("yamux session: two instances back to back") {
  session_state c{role::client}, s{role::server};
  std::vector<event> ec, es;
  auto a = c.open_stream();
  auto b = c.open_stream();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*b == 3);
  pump(c, s, ec, es);
  CHECK(count(es, ek::stream_opened) == 2);
  REQUIRE_FALSE(s.accept(*a));
  REQUIRE_FALSE(s.accept(*b));
  auto sid = s.open_stream();
  REQUIRE(sid);
  CHECK(*sid == 2);
  pump(c, s, ec, es);
  CHECK(count(ec, ek::stream_accepted) == 2);
  CHECK(count(ec, ek::stream_opened) == 1);
  REQUIRE_FALSE(c.accept(*sid));
  pump(c, s, ec, es);

  SUBCASE("flow control: a sender stops at 256 KiB until the receiver consumes") {
    std::vector<uint8_t> big(600 * 1024, 0x5a);
    size_t sent = 0;
    auto w = c.write(*a, byte_span{big}.subspan(sent));
    REQUIRE(w);
    sent += *w;
    CHECK(sent == initial_stream_window);
    CHECK(c.send_window(*a) == 0);
    w = c.write(*a, byte_span{big}.subspan(sent));
    REQUIRE(w);
    CHECK(*w == 0);
    es.clear();
    pump(c, s, ec, es);
    size_t got = 0;
    for (auto& e : es)
      if (e.k == ek::data && e.stream_id == *a)
        got += e.data.size();
    CHECK(got == initial_stream_window);
    CHECK(s.recv_window(*a) == 0);
    // Consuming less than half a window sends nothing.
    s.consumed(*a, 100 * 1024);
    CHECK_FALSE(s.has_output());
    // Reaching half a window sends an update for everything consumed.
    s.consumed(*a, 28 * 1024);
    CHECK(s.has_output());
    ec.clear();
    pump(c, s, ec, es);
    REQUIRE(count(ec, ek::window_update) == 1);
    CHECK(c.send_window(*a) == 128 * 1024);
    // Drive the rest through.
    size_t total_got = got;
    for (int round = 0; round < 16 && total_got < big.size(); ++round) {
      auto ww = c.write(*a, byte_span{big}.subspan(sent));
      REQUIRE(ww);
      sent += *ww;
      es.clear();
      pump(c, s, ec, es);
      for (auto& e : es)
        if (e.k == ek::data && e.stream_id == *a) {
          total_got += e.data.size();
          s.consumed(*a, e.data.size());
        }
      pump(c, s, ec, es);
    }
    CHECK(total_got == big.size());
    CHECK(sent == big.size());
  }

  SUBCASE("half close both ways removes the stream") {
    REQUIRE_FALSE(c.close_stream(*b));
    es.clear();
    pump(c, s, ec, es);
    CHECK(count(es, ek::remote_closed) == 1);
    CHECK(s.has_stream(*b));
    // The server can still write on its half.
    std::vector<uint8_t> x{1, 2, 3};
    REQUIRE(s.write(*b, x));
    ec.clear();
    pump(c, s, ec, es);
    CHECK(count(ec, ek::data) == 1);
    REQUIRE_FALSE(s.close_stream(*b));
    ec.clear();
    pump(c, s, ec, es);
    CHECK(count(ec, ek::closed) == 1);
    CHECK_FALSE(c.has_stream(*b));
    CHECK_FALSE(s.has_stream(*b));
    CHECK_FALSE(c.write(*b, x));
  }

  SUBCASE("reset and ping") {
    s.reset_stream(*a);
    ec.clear();
    pump(c, s, ec, es);
    CHECK(count(ec, ek::reset) == 1);
    CHECK_FALSE(c.has_stream(*a));
    auto p = s.ping();
    es.clear();
    pump(c, s, ec, es);
    REQUIRE(count(es, ek::pong) == 1);
    CHECK(es.back().value == p);
  }

  SUBCASE("go-away refuses new streams with RST") {
    s.go_away();
    pump(c, s, ec, es);
    CHECK(c.remote_go_away());
    CHECK_FALSE(c.open_stream());
    // A peer that ignores it gets RST.
    REQUIRE_FALSE(s.receive(unhex("000100010000000700000000")));
    CHECK(hex(s.take_output()) == "000100080000000700000000");
    CHECK_FALSE(s.has_stream(7));
  }
}

TEST_CASE("yamux session: protocol errors fail the session with go-away") {
  SUBCASE("receive window exceeded") {
    session_state c{role::client}, s{role::server};
    std::vector<event> ec, es;
    auto a = c.open_stream();
    REQUIRE(a);
    pump(c, s, ec, es);
    // 256 KiB, then one more byte without any window update.
    std::vector<uint8_t> frame;
    std::vector<uint8_t> body(initial_stream_window, 1);
    append_frame(frame, header{0, frame_type::data, 0, *a, 0}, body);
    REQUIRE_FALSE(s.receive(frame));
    frame.clear();
    append_frame(frame, header{0, frame_type::data, 0, *a, 0}, std::vector<uint8_t>{1});
    CHECK(s.receive(frame));
    CHECK(s.failed());
    CHECK(hex(s.take_output()) == "000300000000000000000001");
    CHECK(s.receive(frame)); // sticky
  }
  SUBCASE("duplicate SYN, wrong parity, bad version") {
    session_state s{role::server};
    REQUIRE_FALSE(s.receive(unhex("000100010000000100000000")));
    CHECK(s.receive(unhex("000100010000000100000000")));
    session_state s2{role::server};
    CHECK(s2.receive(unhex("000100010000000200000000")));
    session_state s3{role::server};
    CHECK(s3.receive(unhex("010100010000000100000000")));
  }
  SUBCASE("accept backlog") {
    config cfg;
    cfg.accept_backlog = 2;
    session_state s{role::server, cfg};
    for (uint32_t id : {1u, 3u, 5u}) {
      std::vector<uint8_t> f;
      append_frame(f, header{0, frame_type::window_update, flag::syn, id, 0});
      REQUIRE_FALSE(s.receive(f));
    }
    CHECK(s.stream_count() == 2);
    CHECK(hex(s.take_output()) == "000100080000000500000000");
  }
  SUBCASE("a stream the peer opened and half-closed can still be accepted") {
    session_state s{role::server};
    // SYN, data "hi" with FIN in one frame.
    REQUIRE_FALSE(s.receive(unhex("000100010000000100000000" "0000000400000001000000026869")));
    auto evs = s.take_events();
    REQUIRE(evs.size() == 3);
    CHECK(evs[0].k == ek::stream_opened);
    CHECK(evs[1].k == ek::data);
    CHECK(evs[2].k == ek::remote_closed);
    REQUIRE_FALSE(s.accept(1));
    CHECK(hex(s.take_output()) == "000100020000000100000000");
    CHECK(s.accept(1)); // only once
    REQUIRE_FALSE(s.close_stream(1));
    CHECK_FALSE(s.has_stream(1));
  }
  SUBCASE("frames for unknown streams are ignored") {
    session_state s{role::server};
    REQUIRE_FALSE(s.receive(unhex("00000000000000090000000568656c6c6f")));
    CHECK(s.take_events().empty());
    CHECK_FALSE(s.failed());
  }
}
