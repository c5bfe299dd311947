// The yamux session engine (runtime/yamux/session): frames byte for byte as
// hashicorp/yamux v0.1.1 writes them (header layout: messages/wire/yamux;
// the values below follow its session.go/stream.go: SYN on the opening
// window update with delta 0, ACK on the accept, FIN as a window update,
// Ping answered with ACK and the same opaque value, GoAway(0) on close),
// window updates once half the window came back, many streams over one
// carrier, resets, and back-pressure from a carrier that answers busy.
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <string>

#include "messages/wire/yamux/frame.hpp"
#include "runtime/yamux/errors.hpp"
#include "runtime/yamux/session.hpp"
#include "tests/support/e2e_helpers.hpp"

namespace {

using namespace skywire;
using skywire::yamux::session;
namespace wy = skywire::wire::yamux;
using bytes = std::vector<uint8_t>;

bytes hdr(uint8_t type, uint16_t flags, uint32_t id, uint32_t len) {
  return bytes{0,
               type,
               static_cast<uint8_t>(flags >> 8),
               static_cast<uint8_t>(flags),
               static_cast<uint8_t>(id >> 24),
               static_cast<uint8_t>(id >> 16),
               static_cast<uint8_t>(id >> 8),
               static_cast<uint8_t>(id),
               static_cast<uint8_t>(len >> 24),
               static_cast<uint8_t>(len >> 16),
               static_cast<uint8_t>(len >> 8),
               static_cast<uint8_t>(len)};
}

bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

bytes text(std::string_view s) {
  return bytes(s.begin(), s.end());
}

/// One session whose carrier is a byte log; what it receives is recorded per stream.
struct probe {
  bytes wire;
  session::send_result answer = session::send_result::ok;
  std::map<uint32_t, bytes> got;
  std::vector<uint32_t> accepted, fins, resets, closed, writable;
  caf::error end_err;
  bool ended = false;
  bool auto_consume = true;
  std::unique_ptr<session> s;

  explicit probe(session::role r, session::limits l = {}) {
    session::hooks h;
    h.send = [this](yamux::byte_span b) {
      if (answer == session::send_result::ok)
        wire.insert(wire.end(), b.begin(), b.end());
      return answer;
    };
    h.on_accept = [this](uint32_t id) {
      accepted.push_back(id);
      s->set_handler(id, handler(id));
    };
    h.on_end = [this](const caf::error& err) {
      ended = true;
      end_err = err;
    };
    s = std::make_unique<session>(r, std::move(h), l);
  }

  session::stream_handler handler(uint32_t id) {
    session::stream_handler h;
    h.on_data = [this, id](yamux::byte_span b) {
      got[id].insert(got[id].end(), b.begin(), b.end());
      if (auto_consume)
        s->consumed(id, b.size());
    };
    h.on_fin = [this, id] { fins.push_back(id); };
    h.on_reset = [this, id](const caf::error&) { resets.push_back(id); };
    h.on_closed = [this, id] { closed.push_back(id); };
    h.on_writable = [this, id] { writable.push_back(id); };
    return h;
  }

  uint32_t open() {
    // the id is known only after open(); the handler looks it up then
    auto id = s->open({});
    REQUIRE(id);
    s->set_handler(*id, handler(*id));
    return *id;
  }

  bytes take() {
    bytes b;
    b.swap(wire);
    return b;
  }
};

/// Two sessions joined by their carriers; pump() moves bytes until quiet.
struct pair {
  probe c{session::role::client};
  probe s{session::role::server};

  pair() = default;
  pair(session::limits lc, session::limits ls) : c(session::role::client, lc), s(session::role::server, ls) {}

  void pump(size_t max_rounds = 100000) {
    for (size_t i = 0; i < max_rounds; ++i) {
      auto a = c.take();
      auto b = s.take();
      if (a.empty() && b.empty())
        return;
      // cut the stream at odd places: frames may straddle carrier reads
      for (size_t off = 0; off < a.size(); off += 7001)
        s.s->on_carrier_data({a.data() + off, std::min<size_t>(7001, a.size() - off)});
      for (size_t off = 0; off < b.size(); off += 5003)
        c.s->on_carrier_data({b.data() + off, std::min<size_t>(5003, b.size() - off)});
    }
    FAIL("the pair did not settle");
  }
};

} // namespace

TEST_CASE("yamux session: frames byte for byte as hashicorp/yamux") {
  probe c{session::role::client};
  auto id = c.open();
  CHECK(id == 1);
  CHECK(c.take() == hdr(1, wy::flag::syn, 1, 0)); // WindowUpdate SYN, delta 0
  CHECK(c.open() == 3);                            // client ids are odd
  c.take();

  REQUIRE(c.s->write(1, text("hello")));
  CHECK(c.take() == cat({hdr(0, 0, 1, 5), text("hello")}));

  c.s->close(1);
  CHECK(c.take() == hdr(1, wy::flag::fin, 1, 0)); // FIN is a window update

  probe s{session::role::server};
  auto syn = hdr(1, wy::flag::syn, 1, 0);
  s.s->on_carrier_data(syn);
  CHECK(s.accepted == std::vector<uint32_t>{1});
  CHECK(s.take() == hdr(1, wy::flag::ack, 1, 0)); // accept: WindowUpdate ACK

  auto ping = hdr(2, wy::flag::syn, 0, 0xdeadbeef);
  s.s->on_carrier_data(ping);
  CHECK(s.take() == hdr(2, wy::flag::ack, 0, 0xdeadbeef));

  s.s->reset(1);
  CHECK(s.take() == hdr(1, wy::flag::rst, 1, 0));

  s.s->shutdown();
  CHECK(s.take() == hdr(3, 0, 0, 0)); // GoAway, normal
  CHECK(s.ended);
  CHECK(yamux::is(s.end_err, yamux::yamux_errc::closed));
}

TEST_CASE("yamux session: a stream's window is granted back once half of it was consumed") {
  probe s{session::role::server};
  s.auto_consume = false;
  s.s->on_carrier_data(hdr(1, wy::flag::syn, 1, 0));
  s.take();
  auto chunk = test::pseudo_random(64 * 1024, 1);
  for (int i = 0; i < 4; ++i)
    s.s->on_carrier_data(cat({hdr(0, 0, 1, static_cast<uint32_t>(chunk.size())), chunk}));
  CHECK(s.got[1].size() == 256 * 1024);
  CHECK(s.take().empty()); // nothing consumed yet: no update
  s.s->consumed(1, 100 * 1024);
  CHECK(s.take().empty()); // below half of 256 KiB
  s.s->consumed(1, 28 * 1024);
  CHECK(s.take() == hdr(1, 0, 1, 128 * 1024)); // exactly half: one update
  // beyond the window: a protocol error, GoAway(protocol error), the session ends
  s.s->on_carrier_data(cat({hdr(0, 0, 1, 128 * 1024 + 1), test::pseudo_random(128 * 1024 + 1, 2)}));
  CHECK(s.take() == hdr(3, 0, 0, 1));
  CHECK(s.ended);
  CHECK(yamux::is(s.end_err, yamux::yamux_errc::protocol));
  CHECK(s.resets == std::vector<uint32_t>{1});
}

TEST_CASE("yamux session: the sender keeps to the peer's window and resumes on its update") {
  probe c{session::role::client};
  auto id = c.open();
  c.take();
  auto data = test::pseudo_random(300 * 1024, 3);
  REQUIRE(c.s->write(id, data));
  auto out = c.take();
  // 256 KiB of data in 32 KiB frames (8 headers), nothing more
  CHECK(out.size() == 256 * 1024 + 8 * wy::header_size);
  CHECK(c.s->send_window(id) == 0);
  CHECK(c.s->pending(id) == 300 * 1024 - 256 * 1024);
  c.s->on_carrier_data(hdr(1, wy::flag::ack, id, 64 * 1024));
  out = c.take();
  CHECK(out.size() == 44 * 1024 + 2 * wy::header_size);
  CHECK(c.s->pending(id) == 0);
}

TEST_CASE("yamux session: many streams both ways over one carrier, every byte in order") {
  pair p;
  constexpr int n = 64;
  std::map<uint32_t, bytes> sent_up;
  for (int i = 0; i < n; ++i) {
    auto id = p.c.open();
    sent_up[id] = test::pseudo_random(200 * 1024 + static_cast<size_t>(i) * 977, static_cast<uint32_t>(i));
    REQUIRE(p.c.s->write(id, sent_up[id]));
    p.c.s->close(id);
  }
  p.pump();
  REQUIRE(p.s.accepted.size() == n);
  for (auto& [id, b] : sent_up) {
    CHECK(p.s.got[id] == b);
    // answer on each stream, then close: both FINs end the stream on both sides
    auto reply = test::pseudo_random(100 * 1024, id + 1000);
    REQUIRE(p.s.s->write(id, reply));
    p.s.s->close(id);
  }
  p.pump();
  for (auto& [id, b] : sent_up)
    CHECK(p.c.got[id].size() == 100 * 1024);
  CHECK(p.c.closed.size() == n);
  CHECK(p.s.closed.size() == n);
  CHECK(p.c.s->live_streams() == 0);
  CHECK(p.s.s->live_streams() == 0);
  CHECK(p.c.fins.size() == n);
}

TEST_CASE("yamux session: a reset reaches the peer's stream, other streams go on") {
  pair p;
  auto a = p.c.open();
  auto b = p.c.open();
  p.c.s->write(a, text("one"));
  p.c.s->write(b, text("two"));
  p.pump();
  p.s.s->reset(a);
  p.pump();
  CHECK(p.c.resets == std::vector<uint32_t>{a});
  CHECK_FALSE(p.c.s->write(a, text("more")));
  CHECK(p.c.s->write(b, text("still")));
  p.pump();
  CHECK(p.s.got[b] == text("twostill"));
  // a frame for the reset stream is ignored, not an error
  p.s.s->on_carrier_data(cat({hdr(0, 0, a, 3), text("old")}));
  CHECK_FALSE(p.s.ended);
  CHECK(p.s.s->stats().ignored == 1);
}

TEST_CASE("yamux session: a busy carrier holds everything back; nothing is lost or repeated") {
  session::limits l;
  l.stream_high_water = 64 * 1024;
  pair p{l, l};
  auto id = p.c.open();
  p.pump();
  p.c.answer = session::send_result::busy;
  auto data = test::pseudo_random(200 * 1024, 9);
  size_t written = 0;
  // the owner writes while writable(), as a pipe does with its socket
  while (written < data.size() && p.c.s->writable(id)) {
    size_t n = std::min<size_t>(16 * 1024, data.size() - written);
    REQUIRE(p.c.s->write(id, {data.data() + written, n}));
    written += n;
  }
  // one batch left the stream for the carrier, then the mark was reached
  CHECK(written == 80 * 1024);
  CHECK(p.c.s->stats().busy >= 1);
  CHECK(p.c.wire.empty());
  p.c.answer = session::send_result::ok;
  p.c.s->carrier_writable();
  CHECK(p.c.writable == std::vector<uint32_t>{id}); // below half the mark again
  while (written < data.size()) {
    size_t n = std::min<size_t>(16 * 1024, data.size() - written);
    REQUIRE(p.c.s->write(id, {data.data() + written, n}));
    written += n;
    p.pump();
  }
  p.pump();
  CHECK(p.s.got[id] == data);
}

TEST_CASE("yamux session: a slow reader holds the sender at the window") {
  pair p;
  p.s.auto_consume = false;
  auto id = p.c.open();
  auto data = test::pseudo_random(1024 * 1024, 5);
  REQUIRE(p.c.s->write(id, data));
  p.pump();
  CHECK(p.s.got[id].size() == 256 * 1024); // the window, and not a byte more
  CHECK(p.c.s->pending(id) == data.size() - 256 * 1024);
  CHECK_FALSE(p.c.s->writable(id));
  size_t done = 0;
  while (p.s.got[id].size() < data.size()) {
    auto have = p.s.got[id].size();
    p.s.s->consumed(id, have - done);
    done = have;
    p.pump();
    REQUIRE(p.s.got[id].size() > have);
  }
  CHECK(p.s.got[id] == data);
}

TEST_CASE("yamux session: a larger receive window is announced in the SYN and used") {
  session::limits big;
  big.recv_window = 1024 * 1024;
  pair p{session::limits{}, big};
  p.s.auto_consume = false;
  auto id = p.c.open();
  p.pump();
  // the server's ACK carried delta 768 KiB: the client may send 1 MiB
  REQUIRE(p.c.s->write(id, test::pseudo_random(2 * 1024 * 1024, 4)));
  p.pump();
  CHECK(p.s.got[id].size() == 1024 * 1024);
}

TEST_CASE("yamux session: the carrier's end resets every stream") {
  pair p;
  auto a = p.c.open();
  auto b = p.c.open();
  p.pump();
  p.c.s->carrier_closed({});
  CHECK(p.c.resets.size() == 2);
  CHECK(p.c.ended);
  CHECK(yamux::is(p.c.end_err, yamux::yamux_errc::carrier_failed));
  CHECK_FALSE(p.c.s->open({}));
  (void)a;
  (void)b;
}

TEST_CASE("yamux session: hostile input ends the session with a protocol error") {
  SUBCASE("bad version") {
    probe s{session::role::server};
    auto h = hdr(1, wy::flag::syn, 1, 0);
    h[0] = 1;
    s.s->on_carrier_data(h);
    CHECK(s.ended);
  }
  SUBCASE("SYN for a live stream") {
    probe s{session::role::server};
    s.s->on_carrier_data(hdr(1, wy::flag::syn, 1, 0));
    s.s->on_carrier_data(hdr(1, wy::flag::syn, 1, 0));
    CHECK(s.ended);
    CHECK(yamux::is(s.end_err, yamux::yamux_errc::protocol));
  }
  SUBCASE("a window update overflowing 32 bits") {
    probe s{session::role::server};
    s.s->on_carrier_data(hdr(1, wy::flag::syn, 1, 0));
    s.s->on_carrier_data(hdr(1, 0, 1, 0xffffffff));
    CHECK(s.ended);
  }
  SUBCASE("too many streams: RST, as hashicorp's full backlog") {
    session::limits l;
    l.max_streams = 2;
    probe s{session::role::server, l};
    for (uint32_t id = 1; id <= 5; id += 2)
      s.s->on_carrier_data(hdr(1, wy::flag::syn, id, 0));
    CHECK(s.accepted.size() == 2);
    auto out = s.take();
    auto tail = bytes(out.end() - 12, out.end());
    CHECK(tail == hdr(1, wy::flag::rst, 5, 0));
    CHECK_FALSE(s.ended);
  }
}

TEST_CASE("yamux session: the session's mark pauses every stream, and all resume below half of it") {
  session::limits l;
  l.stream_high_water = 256 * 1024;
  l.session_high_water = 96 * 1024;
  pair p{l, l};
  auto a = p.c.open();
  auto b = p.c.open();
  auto c = p.c.open();
  p.pump();
  p.c.answer = session::send_result::busy;
  auto data = test::pseudo_random(48 * 1024, 3);
  REQUIRE(p.c.s->write(a, data)); // taken for the carrier's batch (refused, kept)
  REQUIRE(p.c.s->write(a, data));
  REQUIRE(p.c.s->write(b, data));
  // 96 KiB unsent: each stream is far below its own mark, the session is at its own
  CHECK(p.c.s->pending() == 96 * 1024);
  CHECK_FALSE(p.c.s->writable(a));
  CHECK_FALSE(p.c.s->writable(b));
  CHECK_FALSE(p.c.s->writable(c)); // c wrote nothing, the session's mark holds it too
  CHECK(p.c.s->saturated());
  // a stream opened while the session is saturated is held (and woken) too
  auto d = p.c.open();
  CHECK_FALSE(p.c.s->writable(d));
  p.c.answer = session::send_result::ok;
  p.c.s->carrier_writable();
  CHECK(p.c.s->pending() == 0);
  CHECK_FALSE(p.c.s->saturated());
  CHECK(p.c.s->writable(a));
  CHECK(p.c.s->writable(c));
  CHECK(p.c.s->writable(d));
  // every stream hears that it may write again, not only b whose write
  // reached the mark: an owner pauses all its sources at saturated(), and
  // a source it paused is resumed only by that call
  auto woken = p.c.writable;
  std::sort(woken.begin(), woken.end());
  CHECK(woken == std::vector<uint32_t>{a, b, c, d});
  p.pump();
  CHECK(p.s.got[a] == cat({data, data}));
  CHECK(p.s.got[b] == data);
  // a stream that goes away gives its unsent bytes back to the session
  p.c.answer = session::send_result::busy;
  REQUIRE(p.c.s->write(c, data));
  REQUIRE(p.c.s->write(c, data));
  auto before = p.c.s->pending();
  CHECK(before > 0);
  p.c.s->reset(c);
  CHECK(p.c.s->pending() == 0);
}
