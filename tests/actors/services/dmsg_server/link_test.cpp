// dmsg_server_link driven directly (no sockets, no actors): handshake
// framing and the bytes held until the session is up, yamux control, the
// open-protocol hand-off to the actor, and two spliced links relaying on the
// "io thread" (the caller) with FIN and RST crossing over.
#include <doctest/doctest.h>

#include <memory>

#include "tests/actors/services/dmsg_server/relay_fakes.hpp"

using namespace dmsg_relay_test;

namespace {

struct side {
  std::shared_ptr<fake_sink> sink = std::make_shared<fake_sink>();
  std::shared_ptr<fake_events> ev = std::make_shared<fake_events>();
  rl::dmsg_server_link link{sink, ev, ev, rl::link_config{}};

  /// Feeds the two client handshake messages and starts yamux.
  void up() {
    bytes m1{0, 49};
    m1.resize(2 + 49, 1);
    bytes m3{0, 65};
    m3.resize(2 + 65, 3);
    link.on_data(bytes(m1));
    link.on_data(bytes(m3));
    REQUIRE(ev->hs.size() == 2);
    link.start_yamux();
  }
};

} // namespace

TEST_CASE("link: handshake frames to the actor, later bytes held until yamux starts") {
  side s;
  bytes both{0, 49};
  both.resize(2 + 49, 1);
  bytes m3{0, 65};
  m3.resize(2 + 65, 3);
  s.link.on_data(bytes(both.begin(), both.begin() + 20)); // split reads
  CHECK(s.ev->hs.empty());
  s.link.on_data(bytes(both.begin() + 20, both.end()));
  REQUIRE(s.ev->hs.size() == 1);
  CHECK(s.ev->hs[0].size() == 49);
  s.link.on_data(bytes(m3));
  REQUIRE(s.ev->hs.size() == 2);
  CHECK(!s.ev->hs_extra);
  // A ping before the actor finished the handshake: held, answered after.
  s.link.on_data(yamux_frame(ym::frame_type::ping, ym::flag::syn, 0, {}, 42));
  CHECK(s.sink->frames().empty());
  s.link.start_yamux();
  auto fs = s.sink->frames();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].hdr.type == ym::frame_type::ping);
  CHECK(fs[0].hdr.has(ym::flag::ack));
  CHECK(fs[0].hdr.length == 42);

  side t; // bytes glued to message 3: error 203 for the actor
  t.link.on_data(bytes(both));
  auto glued = m3;
  glued.push_back(0);
  t.link.on_data(std::move(glued));
  CHECK(t.ev->hs_extra);

  side u; // an oversized handshake frame
  u.link.on_data(bytes{1, 0, 5});
  CHECK(u.ev->failure == "handshake frame too large");
}

TEST_CASE("link: SYN ACK, open-protocol bytes for the actor, window and protocol errors") {
  side s;
  s.up();
  s.link.on_data(yamux_frame(ym::frame_type::window_update, ym::flag::syn, 1));
  auto fs = s.sink->frames();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].hdr.has(ym::flag::ack));
  // Two reads of request bytes: one notification until the actor takes them.
  s.link.on_data(yamux_frame(ym::frame_type::data, 0, 1, bytes(10, 1)));
  s.link.on_data(yamux_frame(ym::frame_type::data, 0, 1, bytes(5, 2)));
  CHECK(s.ev->control == std::vector<uint32_t>{1});
  auto c = s.link.take_control(1);
  CHECK(c.found);
  CHECK(c.data.size() == 15);
  CHECK(!c.fin);
  s.link.on_data(yamux_frame(ym::frame_type::window_update, ym::flag::fin, 1));
  CHECK(s.ev->control.size() == 2);
  CHECK(s.link.take_control(1).fin);
  // RST of a stream in the open protocol goes to the actor.
  s.link.on_data(yamux_frame(ym::frame_type::window_update, ym::flag::syn, 3));
  s.link.on_data(yamux_frame(ym::frame_type::window_update, ym::flag::rst, 3));
  CHECK(s.ev->control_resets == std::vector<uint32_t>{3});
  CHECK(!s.link.take_control(3).found);
  // Beyond the receive window: the session fails.
  s.link.on_data(yamux_frame(ym::frame_type::window_update, ym::flag::syn, 5));
  for (int i = 0; i < 4 && s.ev->failure.empty(); ++i)
    s.link.on_data(yamux_frame(ym::frame_type::data, 0, 5, bytes(100 * 1024, 1)));
  CHECK(s.ev->failure == "receive window exceeded");

  side e; // an even SYN
  e.up();
  e.link.on_data(yamux_frame(ym::frame_type::window_update, ym::flag::syn, 2));
  CHECK(e.ev->failure == "bad stream open");
  side g; // garbage header
  g.up();
  g.link.on_data(bytes{7, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0});
  CHECK(g.ev->failure == "yamux protocol error");
}

TEST_CASE("link: two spliced links relay data, FIN and RST without the actors") {
  side a, b;
  a.up();
  b.up();
  // A's client opens stream 1 and sends its request (the actor's part).
  a.link.on_data(yamux_frame(ym::frame_type::window_update, ym::flag::syn, 1));
  a.link.on_data(yamux_frame(ym::frame_type::data, 0, 1, bytes(300, 1)));
  (void) a.link.take_control(1);
  a.link.credit(1, 300);
  a.link.hold(1);
  a.link.on_data(yamux_frame(ym::frame_type::data, 0, 1, bytes(20, 5))); // early data: held
  CHECK(a.ev->control.size() == 1);
  // B's session opens stream 2 toward its client with the request.
  REQUIRE(b.link.open_stream(2, bytes(300, 1)));
  auto fs = b.sink->frames();
  REQUIRE(fs.size() == 2);
  CHECK(fs[0].hdr.has(ym::flag::syn));
  CHECK(fs[1].body.size() == 300);
  b.link.on_data(yamux_frame(ym::frame_type::data, 0, 2, bytes(200, 2))); // the response
  (void) b.link.take_control(2);
  b.link.credit(2, 200);
  REQUIRE(b.link.splice(2, a.link.tx(1), bytes(3, 9))); // 3 bytes after the response
  b.link.open_tx(2, nullptr);
  CHECK(a.sink->frames().size() == 1); // the ACK of stream 1 only: A's side not open yet
  bytes resp(200, 4);
  REQUIRE(a.link.open_tx(1, &resp));
  REQUIRE(a.link.splice(1, b.link.tx(2), {}));
  fs = a.sink->frames();
  REQUIRE(fs.size() >= 2);
  CHECK(fs[0].body == resp);
  CHECK(fs[1].body == bytes(3, 9)); // B's early bytes follow the response
  fs = b.sink->frames();
  REQUIRE(!fs.empty());
  CHECK(fs.back().hdr.stream_id == 2);
  CHECK(fs.back().body == bytes(20, 5)); // A's held bytes
  // Data both ways, several frames in one read become one relayed frame.
  bytes two = yamux_frame(ym::frame_type::data, 0, 1, bytes(100, 6));
  auto more = yamux_frame(ym::frame_type::data, 0, 1, bytes(50, 7));
  two.insert(two.end(), more.begin(), more.end());
  a.link.on_data(std::move(two));
  fs = b.sink->frames();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].hdr.stream_id == 2);
  CHECK(fs[0].body.size() == 150);
  b.link.on_data(yamux_frame(ym::frame_type::data, 0, 2, bytes(64, 8)));
  fs = a.sink->frames();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].hdr.stream_id == 1);
  CHECK(fs[0].body == bytes(64, 8));
  // FIN from A reaches B after the data; B's events learn it was written.
  a.link.on_data(yamux_frame(ym::frame_type::data, ym::flag::fin, 1, bytes(10, 1)));
  fs = b.sink->frames();
  REQUIRE(fs.size() == 2);
  CHECK(fs[0].body.size() == 10);
  CHECK(fs[1].hdr.has(ym::flag::fin));
  CHECK(b.ev->fins == std::vector<uint32_t>{2});
  // RST from B: its side is gone, A's session is told (through its events).
  b.link.on_data(yamux_frame(ym::frame_type::window_update, ym::flag::rst, 2));
  CHECK(b.link.streams() == 0);
  CHECK(a.ev->resets == std::vector<uint32_t>{1});
  a.link.reset(1, true, false);
  fs = a.sink->frames();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].hdr.has(ym::flag::rst));
  CHECK(a.link.streams() == 0);
}

TEST_CASE("link: a session that ends resets its spliced peers") {
  side a, b;
  a.up();
  b.up();
  a.link.on_data(yamux_frame(ym::frame_type::window_update, ym::flag::syn, 1));
  REQUIRE(b.link.open_stream(2, bytes(10, 1)));
  REQUIRE(b.link.splice(2, a.link.tx(1), {}));
  REQUIRE(a.link.splice(1, b.link.tx(2), {}));
  a.link.shutdown();
  CHECK(b.ev->resets == std::vector<uint32_t>{2});
  // B's client keeps sending: the closed relay resets B's stream at once.
  b.link.on_data(yamux_frame(ym::frame_type::data, 0, 2, bytes(10, 1)));
  CHECK(b.link.streams() == 0);
  bool rst = false;
  for (auto& f : b.sink->frames())
    rst = rst || (f.hdr.stream_id == 2 && f.hdr.has(ym::flag::rst));
  CHECK(rst);
}
