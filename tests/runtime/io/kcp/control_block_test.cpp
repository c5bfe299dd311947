// The KCP control block: replays the kcp-go transcripts of
// tests/vectors/skywire/kcp.json step by step (every datagram we output must
// equal kcp-go's byte for byte, and our state must equal its state after
// every step), then the bounds and the refusals that the vectors do not
// reach.
#include <doctest/doctest.h>

#include <map>
#include <optional>

#include "runtime/io/kcp/control_block.hpp"
#include "tests/messages/gob/vectors.hpp"

using namespace skywire;
using namespace skywire::io::kcp;
namespace wk = skywire::wire::kcp;
using skywire::test::hex;
using skywire::test::str;
using skywire::test::unhexv;
using bytes = std::vector<uint8_t>;

namespace {

uint32_t u32(const boost::json::value& v) {
  return static_cast<uint32_t>(v.to_number<int64_t>());
}

/// A control block whose output is collected.
struct end {
  std::vector<bytes> out;
  std::unique_ptr<control_block> cb;

  end(uint32_t conv, settings s) {
    cb = std::make_unique<control_block>(
      conv, s, [this](byte_span d) { out.emplace_back(d.begin(), d.end()); });
  }
  std::vector<bytes> take() {
    auto r = std::move(out);
    out.clear();
    return r;
  }
};

settings from_json(const boost::json::object& o, write_mode mode) {
  settings s;
  s.nodelay = u32(o.at("nodelay")) != 0;
  s.interval_ms = u32(o.at("interval"));
  s.fast_resend = u32(o.at("resend"));
  s.no_cwnd = u32(o.at("nc")) != 0;
  s.snd_wnd = u32(o.at("snd_wnd"));
  s.rcv_wnd = u32(o.at("rcv_wnd"));
  s.mtu = u32(o.at("mtu"));
  s.mode = mode;
  return s;
}

void check_state(const control_block& cb, const boost::json::object& want) {
  auto st = cb.state();
  CHECK(st.snd_una == u32(want.at("snd_una")));
  CHECK(st.snd_nxt == u32(want.at("snd_nxt")));
  CHECK(st.rcv_nxt == u32(want.at("rcv_nxt")));
  CHECK(st.cwnd == u32(want.at("cwnd")));
  CHECK(st.ssthresh == u32(want.at("ssthresh")));
  CHECK(st.rmt_wnd == u32(want.at("rmt_wnd")));
  CHECK(st.rx_srtt == want.at("rx_srtt").to_number<int32_t>());
  CHECK(st.rx_rttvar == want.at("rx_rttvar").to_number<int32_t>());
  CHECK(st.rx_rto == u32(want.at("rx_rto")));
  CHECK(st.snd_queue == u32(want.at("snd_queue")));
  CHECK(st.snd_buf == u32(want.at("snd_buf")));
  CHECK(st.rcv_queue == u32(want.at("rcv_queue")));
  CHECK(st.rcv_buf == u32(want.at("rcv_buf")));
  CHECK(st.dead == want.at("dead").as_bool());
}

bytes text(std::string_view s) {
  return {s.begin(), s.end()};
}

bytes pattern(size_t n, uint8_t seed) {
  bytes b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x = x * 1103515245u + 12345u;
    c = static_cast<uint8_t>(x >> 16);
  }
  return b;
}

/// A PUSH datagram as a peer would send it.
bytes push(uint32_t conv, uint32_t sn, const bytes& data, uint8_t frg = 0, uint32_t una = 0,
           uint16_t wnd = 32) {
  bytes d;
  wk::append_segment(d, {conv, wk::command::push, frg, wnd, 0, sn, una, 0}, data);
  return d;
}

} // namespace

TEST_CASE("kcp control block: replays kcp-go's transcripts byte for byte") {
  auto v = test::load_vectors("skywire/kcp.json");
  size_t transcripts = 0, datagrams = 0;
  for (auto& jt : v.at("transcripts").as_array()) {
    auto& t = jt.as_object();
    auto name = str(t.at("name"));
    CAPTURE(name);
    // the write mode each end needs: kcp-go's `write` is UDPSession.Write
    // (our packet mode); `send` is one kcp.Send in its stream or message mode
    std::map<std::string, write_mode> modes;
    for (auto side : {"a", "b"}) {
      bool stream = u32(t.at(side).at("stream")) != 0;
      bool sends = false;
      for (auto& s : t.at("steps").as_array())
        sends |= str(s.at("side")) == side && str(s.at("op")) == "send";
      modes[side] = stream ? write_mode::stream : sends ? write_mode::message : write_mode::packet;
    }
    auto conv = u32(t.at("conv"));
    std::map<std::string, std::unique_ptr<end>> ends;
    for (auto side : {"a", "b"})
      ends[side] = std::make_unique<end>(conv, from_json(t.at(side).as_object(), modes[side]));
    size_t i = 0;
    for (auto& js : t.at("steps").as_array()) {
      auto& s = js.as_object();
      auto op = str(s.at("op"));
      auto& e = *ends[str(s.at("side"))];
      auto now = u32(s.at("t"));
      CAPTURE(i);
      CAPTURE(op);
      CAPTURE(str(s.at("side")));
      if (op == "write" || op == "send") {
        auto data = unhexv(s.at("data_hex"));
        auto r = e.cb->send(data);
        CHECK(r.status == send_status::ok);
        CHECK(r.accepted == data.size());
      } else if (op == "flush") {
        e.cb->flush(now);
        auto got = e.take();
        auto& want = s.at("out").as_array();
        REQUIRE(got.size() == want.size());
        for (size_t k = 0; k < got.size(); ++k)
          CHECK(hex(got[k]) == str(want[k].at("hex")));
        datagrams += got.size();
      } else if (op == "input") {
        auto err = e.cb->input(unhexv(s.at("datagram_hex")), now);
        CHECK_MESSAGE(!err, describe(err));
        CHECK(e.out.empty());
      } else if (op == "recv") {
        bytes buf(65536);
        auto n = e.cb->recv_message(buf);
        if (s.at("ret").to_number<int>() < 0) {
          CHECK_FALSE(n);
        } else {
          REQUIRE(n);
          buf.resize(*n);
          CHECK(hex(buf) == str(s.at("data_hex")));
        }
      } else {
        FAIL("unknown op " << op);
      }
      check_state(*e.cb, s.at("after").as_object());
      ++i;
    }
    ++transcripts;
  }
  CHECK(transcripts == 8);
  CHECK(datagrams >= 30);
}

TEST_CASE("kcp control block: kcp-go's refusals of malformed input") {
  auto v = test::load_vectors("skywire/kcp.json");
  for (auto& c : v.at("input_cases").as_array()) {
    auto what = str(c.at("what"));
    CAPTURE(what);
    end e{0x5eed1234, {}};
    auto err = e.cb->input(unhexv(c.at("datagram_hex")), 0);
    auto go_ret = c.at("go_input_ret").to_number<int>();
    auto& after = c.at("after").as_object();
    if (go_ret != 0 || what.find("not a header") != std::string::npos) {
      // refused whole: nothing applied (kcp-go applies the segments before
      // a bad one; no kcp-go sender writes such a datagram)
      REQUIRE(err);
      CHECK(err.category() == wire_category());
      CHECK(e.cb->state().rcv_nxt == 0);
      CHECK(e.cb->stats().input_errors == 1);
    } else if (what.find("one past") != std::string::npos) {
      // kcp-go drops it silently; we drop it and say why
      REQUIRE(err);
      CHECK(err.category() == kcp_category());
      CHECK(err.code() == static_cast<uint8_t>(kcp_errc::out_of_window));
      check_state(*e.cb, after);
    } else {
      CHECK_FALSE(err);
      check_state(*e.cb, after);
    }
  }
}

TEST_CASE("kcp control block: the send queue pushes back instead of dropping") {
  settings s;
  s.snd_wnd = 4;
  s.send_queue = 8;
  SUBCASE("packet mode: whole mss pieces while the queue has room") {
    end e{7, s};
    auto big = pattern(20 * e.cb->mss(), 1);
    auto r = e.cb->send(big);
    CHECK(r.status == send_status::would_block);
    CHECK(r.accepted == 8 * e.cb->mss());
    CHECK_FALSE(e.cb->writable());
    auto again = e.cb->send(text("x"));
    CHECK(again.status == send_status::would_block);
    CHECK(again.accepted == 0);
    CHECK(e.cb->waiting() == 8);
    // the first flush moves one segment into flight (congestion window 1)
    e.cb->flush(0);
    CHECK(e.take().size() == 1);
    CHECK(e.cb->writable());
    CHECK(e.cb->send(text("x")).accepted == 1);
    CHECK(e.cb->stats().data_sent == 8 * e.cb->mss() + 1);
  }
  SUBCASE("packet mode keeps writes apart; stream mode fills segments") {
    end p{7, s};
    for (int i = 0; i < 8; ++i)
      CHECK(p.cb->send(text("ab")).status == send_status::ok);
    CHECK(p.cb->send(text("ab")).status == send_status::would_block);
    s.mode = write_mode::stream;
    end st{7, s};
    for (int i = 0; i < 100; ++i)
      CHECK(st.cb->send(text("ab")).status == send_status::ok);
    CHECK(st.cb->waiting() == 1);
  }
  SUBCASE("message mode: all or nothing, at most 255 segments") {
    s.mode = write_mode::message;
    s.send_queue = 255;
    end e{7, s};
    CHECK(e.cb->send(pattern(255 * e.cb->mss(), 2)).status == send_status::ok);
    CHECK(e.cb->send(text("y")).status == send_status::would_block);
    end f{7, s};
    auto r = f.cb->send(pattern(255 * f.cb->mss() + 1, 2));
    CHECK(r.status == send_status::too_large);
    CHECK(r.accepted == 0);
    CHECK(f.cb->waiting() == 0);
  }
}

TEST_CASE("kcp control block: protocol violations are refused and nothing breaks") {
  settings s;
  s.rcv_wnd = 8;
  end e{9, s};
  SUBCASE("sn far outside the window") {
    for (uint32_t sn : {8u, 9u, 1000u, 0x7fffffffu}) {
      auto err = e.cb->input(push(9, sn, text("z")), 0);
      REQUIRE(err);
      CHECK(err.code() == static_cast<uint8_t>(kcp_errc::out_of_window));
    }
    CHECK(e.cb->stats().refused_segments == 4);
    e.cb->flush(0);
    CHECK(e.take().empty()); // not acknowledged
    // an old sn (before rcv_nxt) is a duplicate: acknowledged, not an error
    CHECK_FALSE(e.cb->input(push(9, 0xffffff00u, text("z")), 0));
    CHECK(e.cb->stats().repeated == 1);
  }
  SUBCASE("a message longer than the window") {
    auto err = e.cb->input(push(9, 0, text("z"), 8), 0);
    REQUIRE(err);
    CHECK(err.code() == static_cast<uint8_t>(kcp_errc::fragment_overflow));
    CHECK_FALSE(e.cb->input(push(9, 0, text("z"), 7), 0));
  }
  SUBCASE("una of segments never sent") {
    auto err = e.cb->input(push(9, 0, text("z"), 0, 5), 0);
    REQUIRE(err);
    CHECK(err.code() == static_cast<uint8_t>(kcp_errc::bad_una));
    CHECK(e.cb->state().snd_una == 0);
    CHECK(e.cb->readable() == 1); // the data itself was taken
  }
  SUBCASE("another conversation, garbage, short and oversized datagrams") {
    auto good = push(9, 0, text("hello"));
    auto before = e.cb->state();
    for (auto d : {push(10, 0, text("hello")), bytes{1, 2, 3}, bytes(23, 0), bytes(2000, 81),
                   bytes{}}) {
      auto err = e.cb->input(d, 0);
      REQUIRE(err);
      CHECK(err.category() == wire_category());
    }
    auto bad_tail = good;
    bad_tail.push_back(0);
    CHECK(e.cb->input(bad_tail, 0));
    CHECK(e.cb->state().rcv_nxt == before.rcv_nxt);
    CHECK(e.cb->stats().input_errors == 6);
    CHECK_FALSE(e.cb->input(good, 0));
    CHECK(e.cb->readable() == 5);
  }
  SUBCASE("empty PUSH segments are messages of size 0") {
    CHECK_FALSE(e.cb->input(push(9, 0, {}), 0));
    CHECK_FALSE(e.cb->input(push(9, 1, text("ab")), 0));
    bytes buf(16);
    auto m = e.cb->recv_message(buf);
    REQUIRE(m);
    CHECK(*m == 0);
    CHECK(e.cb->recv_message(buf) == 2u);
    CHECK_FALSE(e.cb->recv_message(buf));
  }
}

TEST_CASE("kcp control block: bounded receive side") {
  settings s;
  s.rcv_wnd = 4;
  end e{5, s};
  // sn 1..3 out of order, then 0: all four queue; the window is then full
  for (uint32_t sn : {3u, 1u, 2u, 0u})
    CHECK_FALSE(e.cb->input(push(5, sn, pattern(100, static_cast<uint8_t>(sn))), 0));
  CHECK(e.cb->state().rcv_queue == 4);
  CHECK(e.cb->readable() == 400);
  // sn 4..7 wait in the window, sn 8 is refused
  for (uint32_t sn = 4; sn < 8; ++sn)
    CHECK_FALSE(e.cb->input(push(5, sn, pattern(100, static_cast<uint8_t>(sn))), 0));
  CHECK(e.cb->input(push(5, 8, text("x")), 0));
  CHECK(e.cb->state().rcv_buf == 4);
  e.cb->flush(0);
  auto acks = e.take();
  REQUIRE(acks.size() == 1);
  wk::datagram_reader r{acks[0]};
  auto first = r.next();
  REQUIRE(first);
  REQUIRE(first->has_value());
  CHECK((*first)->hdr.wnd == 0);
  // a stream reader with a small buffer drains everything in order
  bytes got;
  uint8_t buf[37];
  while (auto n = e.cb->recv(buf))
    got.insert(got.end(), buf, buf + n);
  bytes want;
  for (uint8_t sn = 0; sn < 8; ++sn) {
    auto p = pattern(100, sn);
    want.insert(want.end(), p.begin(), p.end());
  }
  CHECK(got == want);
  CHECK(e.cb->readable() == 0);
  // the reader drained a full queue: the next flush tells the window (WINS)
  e.cb->flush(10);
  auto wins = e.take();
  REQUIRE(wins.size() == 1);
  wk::datagram_reader w{wins[0]};
  auto seg = w.next();
  REQUIRE(seg);
  REQUIRE(seg->has_value());
  CHECK((*seg)->hdr.cmd == wk::command::wins);
  CHECK((*seg)->hdr.wnd == 4);
  CHECK(e.cb->buffer_bytes() <= (8 + 32 + 32) * 1476);
}

TEST_CASE("kcp control block: a silent peer is a dead link") {
  end e{3, {}};
  CHECK(e.cb->send(text("anyone there?")).status == send_status::ok);
  uint32_t now = 0;
  size_t sent = 0;
  for (;;) {
    e.cb->update(now);
    sent += e.take().size();
    if (e.cb->dead() || now > 120'000)
      break;
    auto next = e.cb->check(now);
    CHECK(next - now <= 100); // never later than the interval
    now = next > now ? next : now + 1;
  }
  REQUIRE(e.cb->dead());
  CHECK(sent == 20); // dead_link transmissions
  CHECK(e.cb->stats().lost == 19);
  // with rx_rto 200 and kcp-go's linear back-off: 200 * (1 + 2 + ... + 19)
  CHECK(now == 38'000);
  CHECK(e.cb->send(text("more")).status == send_status::dead_link);
  CHECK_FALSE(e.cb->writable());
}

TEST_CASE("kcp control block: check() names the next deadline") {
  end e{3, {}};
  CHECK(e.cb->check(500) == 500); // never flushed
  e.cb->flush(500);
  CHECK(e.cb->check(510) == 600); // the next tick
  e.cb->send(text("a"));
  CHECK(e.cb->check(510) == 510); // the window lets it out now
  e.cb->update(510);
  CHECK(e.take().size() == 1);
  CHECK(e.cb->check(520) == 610);
  e.cb->update(520); // not due: nothing happens
  CHECK(e.take().empty());
  // the clock may wrap
  end w{4, {}};
  w.cb->flush(0xffffffc0u);
  w.cb->send(text("b"));
  w.cb->update(0xffffffd0u);
  CHECK(w.take().size() == 1);
  CHECK(w.cb->check(0xffffffd0u) == 0xffffffd0u + 100);
}

TEST_CASE("kcp control block: idle buffers are given back") {
  settings s;
  s.mode = write_mode::stream;
  end a{1, s}, b{1, s};
  auto data = pattern(20000, 3);
  size_t off = 0;
  uint32_t now = 0;
  bytes got;
  while (got.size() < data.size() && now < 100'000) {
    if (off < data.size())
      off += a.cb->send(byte_span{data}.subspan(off)).accepted;
    a.cb->update(now);
    for (auto& d : a.take())
      CHECK_FALSE(b.cb->input(d, now));
    b.cb->update(now);
    for (auto& d : b.take())
      CHECK_FALSE(a.cb->input(d, now));
    uint8_t buf[4096];
    while (auto n = b.cb->recv(buf))
      got.insert(got.end(), buf, buf + n);
    now += 10;
  }
  CHECK(got == data);
  for (int i = 0; i < 30; ++i, now += 100) {
    a.cb->update(now);
    for (auto& d : a.take())
      CHECK_FALSE(b.cb->input(d, now));
    b.cb->update(now);
    for (auto& d : b.take())
      CHECK_FALSE(a.cb->input(d, now));
  }
  CHECK(a.cb->waiting() == 0);
  CHECK(a.cb->buffer_bytes() <= 2 * 1476);
  CHECK(b.cb->buffer_bytes() <= 2 * 1476);
  a.cb->trim();
  CHECK(a.cb->buffer_bytes() == 0);
}

TEST_CASE("kcp control block: quiet() holds exactly while a flush has nothing to do") {
  settings s;
  s.mode = write_mode::stream;
  end a{5, s}, b{5, s};
  CHECK_FALSE(a.cb->quiet()); // never flushed: the first flush raises the window
  a.cb->flush(0);
  b.cb->flush(0);
  CHECK(a.cb->quiet());
  CHECK(b.cb->quiet());
  a.cb->send(text("hello"));
  CHECK_FALSE(a.cb->quiet()); // queued
  a.cb->update(0);
  CHECK_FALSE(a.cb->quiet()); // sent, not acknowledged
  auto sent = a.take();
  REQUIRE(sent.size() == 1);
  CHECK_FALSE(b.cb->input(sent[0], 5));
  CHECK_FALSE(b.cb->quiet()); // an ACK is owed
  b.cb->flush(5);
  CHECK(b.cb->quiet());
  for (auto& d : b.take())
    CHECK_FALSE(a.cb->input(d, 10));
  CHECK(a.cb->quiet()); // acknowledged: nothing more to do
  // a flush on a quiet block writes nothing
  a.cb->flush(20);
  CHECK(a.take().empty());
  // after a long quiet time (the old flush time reads as far in the future
  // on the wrapped clock) an owed ACK goes at the next tick, an interval on
  b.cb->send(text("again"));
  b.cb->update(30);
  auto seg = b.take();
  REQUIRE(seg.size() == 1);
  uint32_t later = 120 + 0x80000010u;
  CHECK_FALSE(a.cb->input(seg[0], later));
  CHECK_FALSE(a.cb->quiet());
  CHECK(a.cb->check(later) == later + 100);
  a.cb->update(later + 99);
  CHECK(a.take().empty());
  a.cb->update(later + 100);
  CHECK(a.take().size() == 1);
  CHECK(a.cb->quiet());
}
