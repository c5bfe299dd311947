// Two KCP control blocks (runtime/io/kcp) over the simulated datagram link
// (tests/sim/sim_link.hpp), each driven as a shard drives it: input() per
// datagram, update() at the deadline check() names (a timer on the virtual
// clock), send() while the application has bytes and the queue takes them,
// recv() as bytes arrive. Loss, delay and jitter, reordering, a bandwidth
// cap, a silent path, a stalled reader, a 1 MiB transfer. Deterministic
// (seeded), no sockets, no sleeps; the virtual seconds cost no wall time.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>

#include "runtime/io/kcp/control_block.hpp"
#include "tests/sim/sim_link.hpp"

using namespace std::chrono_literals;
using skywire::io::kcp::control_block;
using skywire::io::kcp::send_status;
using skywire::io::kcp::settings;
using skywire::io::kcp::write_mode;
using skywire::sim::faults;
using skywire::sim::nanos;
using skywire::sim::network;
using skywire::sim::sim_link;
using byte_buffer = std::vector<uint8_t>;

namespace {

byte_buffer pattern(size_t n, uint8_t seed) {
  byte_buffer b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x = x * 1103515245u + 12345u;
    c = static_cast<uint8_t>(x >> 16);
  }
  return b;
}

/// One KCP end: a control block on a datagram link, driven by events of the
/// virtual clock. `source` is what the application writes, `sink` what it
/// has read; `reading` false stalls the reader.
struct kcp_end {
  network& net;
  std::shared_ptr<sim_link> link;
  std::unique_ptr<control_block> cb;
  byte_buffer source;
  size_t sent = 0;
  size_t write_size = SIZE_MAX; ///< bytes per send() call
  byte_buffer sink;
  bool reading = true;
  size_t would_blocks = 0;
  size_t write_refusals = 0;
  size_t input_errors = 0;
  std::optional<nanos> dead_at;
  skywire::io::timer_service::timer_id timer = 0;
  uint32_t timer_due = 0;

  kcp_end(network& n, std::shared_ptr<sim_link> l, uint32_t conv, settings s)
    : net(n), link(std::move(l)) {
    cb = std::make_unique<control_block>(conv, s, [this](skywire::io::kcp::byte_span d) {
      if (!link->write(byte_buffer(d.begin(), d.end())))
        ++write_refusals; // a full socket buffer drops the datagram, as UDP does
    });
  }

  uint32_t now_ms() const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(net.now());
    return static_cast<uint32_t>(ms.count());
  }

  void start() {
    skywire::io::byte_link::callbacks cbs;
    cbs.on_data = [this](byte_buffer&& d) {
      if (cb->input(d, now_ms()))
        ++input_errors;
      pump();
    };
    cbs.on_closed = [](const boost::system::error_code&) {};
    link->start(std::move(cbs), 2048);
    pump();
  }

  /// The application and the timer: write what fits, read what is there,
  /// flush what is due, arm the timer for the next deadline.
  void pump() {
    while (sent < source.size()) {
      auto r = cb->send(skywire::io::kcp::byte_span{source}.subspan(
        sent, std::min(write_size, source.size() - sent)));
      sent += r.accepted;
      if (r.status != send_status::ok) {
        if (r.status == send_status::would_block)
          ++would_blocks;
        break;
      }
    }
    if (reading) {
      uint8_t buf[4096];
      while (auto n = cb->recv(buf))
        sink.insert(sink.end(), buf, buf + n);
    }
    auto now = now_ms();
    cb->update(now);
    if (cb->dead() && !dead_at)
      dead_at = net.now();
    arm(cb->check(now));
  }

  void arm(uint32_t due) {
    if (timer != 0) {
      if (static_cast<int32_t>(due - timer_due) >= 0)
        return; // the pending timer comes first
      net.cancel(timer);
    }
    timer_due = due;
    auto at = nanos{int64_t{due} * 1'000'000};
    auto delay = std::max(nanos{0}, at - net.now());
    timer = net.schedule(delay, [this] {
      timer = 0;
      pump();
    });
  }
};

struct pair_of_ends {
  network net;
  std::shared_ptr<sim_link> la, lb;
  std::unique_ptr<kcp_end> a, b;

  pair_of_ends(uint64_t seed, faults ab, faults ba, settings sa = {}, settings sb = {})
    : net(seed) {
    ab.mtu = ba.mtu = 1500;
    std::tie(la, lb) = sim_link::make_datagram_pair(net, ab, ba);
    a = std::make_unique<kcp_end>(net, la, 0x5eed1234, sa);
    b = std::make_unique<kcp_end>(net, lb, 0x5eed1234, sb);
    a->start();
    b->start();
  }

  /// Sends `n` bytes a -> b (and `back` bytes b -> a); true when all
  /// arrived within `limit` of virtual time.
  bool transfer(size_t n, nanos limit, size_t back = 0) {
    a->source = pattern(n, 1);
    b->source = pattern(back, 2);
    a->pump();
    b->pump();
    return net.run_until([&] { return a->sink.size() == back && b->sink.size() == n; }, limit,
                         nanos{10'000'000});
  }

  void check_delivered() {
    CHECK(b->sink == a->source); // every byte, in order
    CHECK(a->sink == b->source);
    CHECK(a->input_errors == 0);
    CHECK(b->input_errors == 0);
    CHECK_FALSE(a->cb->dead());
    CHECK_FALSE(b->cb->dead());
  }
};

} // namespace

TEST_CASE("kcp sim: every byte arrives in order under 10% loss both ways") {
  faults f;
  f.delay = 10ms;
  f.loss = 0.10;
  pair_of_ends p{11, f, f};
  REQUIRE(p.transfer(256 * 1024, 600s, 64 * 1024));
  p.check_delivered();
  CHECK(p.la->stats().chunks_lost > 20);
  CHECK(p.lb->stats().chunks_lost > 10);
  CHECK(p.a->cb->stats().retransmits > 0);
  CHECK(p.a->cb->stats().lost > 0);
}

TEST_CASE("kcp sim: delay with jitter") {
  faults f;
  f.delay = 30ms;
  f.jitter = 25ms; // datagrams overtake each other
  pair_of_ends p{12, f, f};
  REQUIRE(p.transfer(256 * 1024, 120s, 16 * 1024));
  p.check_delivered();
  auto st = p.a->cb->state();
  CHECK(st.rx_srtt >= 60);
  CHECK(st.rx_srtt < 300);
}

TEST_CASE("kcp sim: reordering") {
  faults f;
  f.delay = 5ms;
  f.reorder = 0.25;
  pair_of_ends p{13, f, f};
  REQUIRE(p.transfer(256 * 1024, 120s, 16 * 1024));
  p.check_delivered();
  CHECK(p.la->stats().chunks_reordered > 10);
}

TEST_CASE("kcp sim: a bandwidth cap") {
  faults f;
  f.delay = 10ms;
  f.bandwidth = 200'000; // bytes per second
  pair_of_ends p{14, f, f};
  auto start = p.net.now();
  REQUIRE(p.transfer(256 * 1024, 120s));
  p.check_delivered();
  auto secs = std::chrono::duration<double>(p.net.now() - start).count();
  CHECK(secs >= 256.0 * 1024 / 200'000); // the line is the limit, never exceeded
  CHECK(secs < 8.0);
}

TEST_CASE("kcp sim: a cut is noticed") {
  faults f;
  f.delay = 10ms;
  pair_of_ends p{15, f, f};
  REQUIRE(p.transfer(64 * 1024, 60s));
  p.check_delivered();
  auto rto = p.a->cb->state().rx_rto;
  // the path goes silent both ways (UDP says nothing: no reset, no error)
  p.la->fault_config().loss = 1.0;
  p.lb->fault_config().loss = 1.0;
  auto cut_at = p.net.now();
  p.a->source.resize(p.a->source.size() + 1000, 7);
  p.a->pump();
  REQUIRE(p.net.run_until([&] { return p.a->dead_at.has_value(); }, 120s, 100ms));
  auto took = std::chrono::duration<double>(*p.a->dead_at - cut_at).count();
  // 20 transmissions with kcp-go's linear back-off: rto * (1 + 2 + ... + 19)
  CHECK(took <= 190.0 * rto / 1000 + 1.0);
  CHECK(took >= 190.0 * 100 / 1000); // the minimum RTO is 100 ms
  CHECK(p.a->cb->send(std::vector<uint8_t>(10)).status == send_status::dead_link);
  MESSAGE("cut noticed after " << took << " s (rto " << rto << " ms)");
}

TEST_CASE("kcp sim: a full send queue pushes back instead of dropping") {
  faults f;
  f.delay = 10ms;
  settings small;
  small.rcv_wnd = 8;
  pair_of_ends p{16, f, f, {}, small};
  p.b->reading = false; // the receiving application stalls
  p.a->source = pattern(512 * 1024, 3);
  p.a->pump();
  p.net.advance(20s);
  // the receiver holds at most its window; the sender holds the rest back
  CHECK(p.b->sink.empty());
  CHECK(p.b->cb->readable() <= 8 * 1376);
  CHECK(p.a->would_blocks > 0);
  CHECK(p.a->sent < 100 * 1024);
  CHECK(p.a->cb->waiting() <= 64);
  CHECK(p.a->sent == p.a->cb->stats().data_sent);
  // the reader comes back: everything accepted arrives, and then the rest
  p.b->reading = true;
  p.b->pump();
  REQUIRE(p.net.run_until([&] { return p.b->sink.size() == p.a->source.size(); }, 120s, 10ms));
  p.check_delivered();
  CHECK(p.a->write_refusals == 0);
  CHECK(p.b->cb->stats().refused_segments == 0);
}

TEST_CASE("kcp sim: 1 MiB transfer, byte for byte, without allocating per segment") {
  faults f;
  f.delay = 15ms;
  f.jitter = 5ms;
  f.loss = 0.02;
  pair_of_ends p{17, f, f};
  REQUIRE(p.transfer(1024 * 1024, 300s, 1024 * 1024));
  p.check_delivered();
  // the segment buffers were allocated once and recycled
  settings def;
  auto bound = def.snd_wnd * 2 + 2 * def.rcv_wnd; // send queue + flight + receive window + queue
  CHECK(p.a->cb->stats().buffer_allocations <= bound);
  CHECK(p.b->cb->stats().buffer_allocations <= bound);
  CHECK(p.a->cb->stats().data_sent == 1024 * 1024);
  CHECK(p.b->cb->stats().data_received == 1024 * 1024);
  MESSAGE("1 MiB each way in " << std::chrono::duration<double>(p.net.now()).count()
                               << " virtual s; a retransmitted " << p.a->cb->stats().retransmits
                               << " segments, allocated " << p.a->cb->stats().buffer_allocations
                               << " buffers");
}

TEST_CASE("kcp sim: stream mode and message mode ends") {
  faults f;
  f.delay = 5ms;
  f.loss = 0.05;
  settings st;
  st.mode = write_mode::stream;
  pair_of_ends p{18, f, f, st, st};
  REQUIRE(p.transfer(300 * 1024, 120s, 3000));
  p.check_delivered();
  settings msg;
  msg.mode = write_mode::message;
  pair_of_ends q{19, f, f, msg, msg};
  q.a->write_size = q.b->write_size = 5000; // messages of 4 segments
  REQUIRE(q.transfer(300 * 1024, 120s, 3000));
  q.check_delivered();
}
