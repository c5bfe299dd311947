// kcp_link over the simulated datagram link (tests/sim/sim_link.hpp): the
// same link as on a UDP socket, with the virtual clock as its timers and
// clock, under loss, delay, jitter and reordering; a sudph transport
// (transport_core, Noise KK, settlement) on top; a path that goes silent
// ends both ends through KCP's dead link. Deterministic (seeded); the
// virtual seconds cost no wall time.
#include <doctest/doctest.h>

#include <random>

#include "actors/transport/kcp_link.hpp"
#include "actors/transport/transport_core.hpp"
#include "support.hpp"
#include "tests/sim/sim_link.hpp"

namespace tp = skywire::transport;
using namespace std::chrono_literals;
using namespace sudph_test;
using skywire::byte_span;
using skywire::sim::faults;
using skywire::sim::network;
using skywire::sim::sim_link;
using udp = boost::asio::ip::udp;

namespace {

/// Two kcp_links joined by a simulated datagram path.
struct kcp_pair {
  network net;
  std::shared_ptr<sim_link> wa, wb; ///< the datagram path
  tp::kcp_link_ptr a, b;
  size_t sent_a = 0, sent_b = 0; ///< datagrams each end sent

  kcp_pair(uint64_t seed, faults ab, faults ba) : net(seed) {
    std::tie(wa, wb) = sim_link::make_datagram_pair(net, ab, ba);
    a = make(wa, 0x11223344, sent_a);
    b = make(wb, 0x11223344, sent_b);
  }

  tp::kcp_link_ptr make(const std::shared_ptr<sim_link>& wire, uint32_t conv, size_t& sent) {
    tp::kcp_link_env env;
    env.send = [wire, &sent](std::span<const uint8_t> d) {
      ++sent;
      static_cast<void>(wire->write(skywire::io::byte_buffer(d.begin(), d.end())));
    };
    env.timers = &net;
    env.now_ms = [this] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(net.now()).count();
    };
    env.post = [this](std::function<void()> fn) {
      net.after(skywire::sim::nanos{0}, std::move(fn));
    };
    auto link = tp::kcp_link::make(std::move(env), udp::endpoint{}, conv);
    std::weak_ptr<tp::kcp_link> wl = link;
    skywire::io::byte_link::callbacks cbs;
    cbs.on_data = [wl](skywire::io::byte_buffer&& d) {
      if (auto l = wl.lock())
        l->input(d);
    };
    cbs.on_closed = [](const boost::system::error_code&) {};
    wire->start(std::move(cbs), 4096);
    return link;
  }
};

struct end_state {
  std::shared_ptr<tp::transport_core> core;
  bool up = false;
  int downs = 0;
  caf::error down;
  std::vector<uint8_t> data;
  int writable = 0;
};

tp::transport_core::params params(end_state& st, tp::transport_role role,
                                  const skywire::crypto::keypair& local,
                                  const skywire::public_key& remote) {
  tp::transport_core::params p;
  p.mode = tp::transport_mode::noise_kk;
  p.role = role;
  p.type = "sudph";
  p.local = local;
  if (role == tp::transport_role::initiator) {
    p.remote = remote;
    p.local_port = skywire::port{49300};
  }
  p.limits.keepalive = 0s; // a Go peer's behaviour: the silence test relies on KCP alone
  p.limits.dead_after = 0s;
  p.on_up = [&st](const tp::established&) { st.up = true; };
  p.on_data = [&st](byte_span b) { st.data.insert(st.data.end(), b.begin(), b.end()); };
  p.on_down = [&st](const caf::error& e) {
    ++st.downs;
    st.down = e;
  };
  p.on_writable = [&st] { ++st.writable; };
  return p;
}

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng{seed};
  for (auto& x : v)
    x = static_cast<uint8_t>(rng());
  return v;
}

/// A sudph transport over a kcp_pair.
struct sim_transport {
  kcp_pair k;
  end_state a, b;

  sim_transport(uint64_t seed, faults ab, faults ba) : k(seed, ab, ba) {
    auto ka = key("sim-a"), kb = key("sim-b");
    auto ca = tp::transport_core::make(params(a, tp::transport_role::initiator, ka, kb.pk));
    auto cb = tp::transport_core::make(params(b, tp::transport_role::responder, kb, {}));
    REQUIRE(ca);
    REQUIRE(cb);
    a.core = *ca;
    b.core = *cb;
    b.core->start(k.b);
    a.core->start(k.a);
    REQUIRE(k.net.run_until([&] { return (a.up && b.up) || a.downs + b.downs > 0; }, 30s));
    REQUIRE(a.up);
    REQUIRE(b.up);
  }

  /// Streams `data` from one end to the other as fast as the queue takes it.
  void send_all(end_state& from, end_state& to, const std::vector<uint8_t>& data,
                std::chrono::seconds limit) {
    size_t off = 0, had = to.data.size();
    auto pump = [&] {
      while (off < data.size()) {
        auto n = std::min<size_t>(16 * 1024, data.size() - off);
        auto r = from.core->write({data.data() + off, n});
        if (r != tp::transport_core::write_result::ok)
          return;
        off += n;
      }
    };
    pump();
    REQUIRE(k.net.run_until(
      [&] {
        pump();
        return to.data.size() >= had + data.size() || from.downs + to.downs > 0;
      },
      limit));
    REQUIRE(to.data.size() == had + data.size());
    CHECK(std::equal(data.begin(), data.end(), to.data.begin() + static_cast<ptrdiff_t>(had)));
  }
};

faults lossy(double loss, double reorder) {
  faults f;
  f.delay = 20ms;
  f.jitter = 5ms;
  f.loss = loss;
  f.reorder = reorder;
  return f;
}

} // namespace

TEST_CASE("kcp_link sim: a sudph transport over a clean path, 1 MiB each way") {
  sim_transport t(1, lossy(0, 0), lossy(0, 0));
  t.send_all(t.a, t.b, pattern(1 << 20, 1), 120s);
  t.send_all(t.b, t.a, pattern(1 << 20, 2), 120s);
  CHECK(t.a.downs == 0);
  CHECK(t.b.downs == 0);
  CHECK(t.k.a->kcp_stats().retransmits == 0);
}

TEST_CASE("kcp_link sim: loss and reordering both ways, the bytes arrive whole and in order") {
  for (uint64_t seed : {3u, 4u, 5u}) {
    CAPTURE(seed);
    sim_transport t(seed, lossy(0.05, 0.05), lossy(0.05, 0.05));
    t.send_all(t.a, t.b, pattern(256 * 1024, 3), 300s);
    t.send_all(t.b, t.a, pattern(256 * 1024, 4), 300s);
    CHECK(t.a.downs == 0);
    CHECK(t.b.downs == 0);
    CHECK(t.k.a->kcp_stats().retransmits > 0);
    CHECK(t.k.b->kcp_stats().retransmits > 0);
  }
}

TEST_CASE("kcp_link sim: a path that goes silent ends the transport through KCP's dead link") {
  faults cut = lossy(0, 0);
  cut.cut_after = 64 * 1024; // the path dies after 64 KiB from a to b
  sim_transport t(9, cut, lossy(0, 0));
  auto data = pattern(256 * 1024, 9);
  CHECK(t.a.core->write(data) == tp::transport_core::write_result::ok);
  REQUIRE(t.k.net.run_until([&] { return t.a.downs == 1; }, 600s));
  CHECK(t.k.a->ended());
  CHECK(caf::to_string(t.a.down).find("timed out") != std::string::npos); // the dead link
  CHECK(t.k.a->kcp_stats().retransmits > 0);
  CHECK(t.b.downs == 0); // it heard nothing: KCP has no close; its owner's keep-alive bound decides
  t.b.core->abort();
  t.k.net.advance(1s);
  CHECK(t.b.downs == 1);
}

TEST_CASE("kcp_link sim: the write queue is bounded and refuses, pausing holds the data, "
          "on_closed comes once") {
  kcp_pair k(21, lossy(0, 0), lossy(0, 0));
  std::vector<uint8_t> got;
  size_t sent = 0;
  int a_closed = 0, b_closed = 0;
  skywire::io::byte_link::callbacks ca;
  ca.on_data = [](skywire::io::byte_buffer&&) {};
  ca.on_sent = [&](size_t n) { sent += n; };
  ca.on_closed = [&](const boost::system::error_code&) { ++a_closed; };
  skywire::io::byte_link::callbacks cb;
  cb.on_span = [&](std::span<const uint8_t> s) { got.insert(got.end(), s.begin(), s.end()); };
  cb.on_closed = [&](const boost::system::error_code&) { ++b_closed; };
  k.a->set_max_queued(10'000);
  k.a->start(std::move(ca), 4096);
  k.b->start(std::move(cb), 4096);
  k.b->pause_reading();
  auto data = pattern(12'000, 21);
  CHECK(k.a->write({data.begin(), data.begin() + 8'000}));
  CHECK_FALSE(k.a->write({data.begin() + 8'000, data.end()})); // over the bound: refused whole
  CHECK(k.a->queued_bytes() == 8'000);
  k.net.advance(2s);
  CHECK(k.a->queued_bytes() == 0);
  CHECK(sent == 8'000);
  CHECK(got.empty()); // paused: held in KCP's receive queue
  CHECK(k.a->write({data.begin() + 8'000, data.end()}));
  k.net.advance(2s);
  CHECK(got.empty());
  k.b->resume_reading();
  REQUIRE(k.net.run_until([&] { return got.size() == data.size(); }, 30s));
  CHECK(got == data);
  k.a->close();
  CHECK_FALSE(k.a->write({data.begin(), data.begin() + 10}));
  k.net.advance(1s);
  CHECK(a_closed == 1);
  k.a->abandon();
  k.a->close();
  k.net.advance(1s);
  CHECK(a_closed == 1);
  CHECK(b_closed == 0);
  k.b->abandon();
  CHECK(b_closed == 1);
}

TEST_CASE("kcp_link sim: an answer written while the link delivers leaves with the ACK of what "
          "it answers, in one datagram") {
  kcp_pair k(22, lossy(0, 0), lossy(0, 0));
  std::vector<uint8_t> got_a;
  int echoes = 0;
  skywire::io::byte_link::callbacks ca;
  ca.on_span = [&](std::span<const uint8_t> s) { got_a.insert(got_a.end(), s.begin(), s.end()); };
  ca.on_closed = [](const boost::system::error_code&) {};
  skywire::io::byte_link::callbacks cb;
  // b echoes from its reader, on its shard, while its link delivers
  cb.on_span = [&](std::span<const uint8_t> s) {
    ++echoes;
    CHECK(k.b->write(skywire::io::byte_buffer(s.begin(), s.end())));
  };
  cb.on_closed = [](const boost::system::error_code&) {};
  k.a->start(std::move(ca), 4096);
  k.b->start(std::move(cb), 4096);
  k.net.advance(100ms);
  for (int round = 0; round < 10; ++round) {
    CAPTURE(round);
    auto msg = pattern(100, static_cast<uint32_t>(round));
    auto had = got_a.size();
    auto b_before = k.sent_b;
    CHECK(k.a->write(skywire::io::byte_buffer(msg.begin(), msg.end())));
    // the echo is back within the path's two delays (20 ms each, +-5): no
    // flush interval waited for on either side
    REQUIRE(k.net.run_until([&] { return got_a.size() >= had + msg.size(); }, 60ms));
    CHECK(std::equal(msg.begin(), msg.end(), got_a.begin() + static_cast<ptrdiff_t>(had)));
    // b answered with one datagram: the echo's segment after the ACK of the
    // request (not an ACK datagram, then the echo on the shard's next turn)
    CHECK(k.sent_b - b_before == 1);
  }
  CHECK(echoes == 10);
  k.a->abandon();
  k.b->abandon();
}

TEST_CASE("kcp_link sim: an idle link arms no timer until a write or a datagram comes") {
  kcp_pair k(23, lossy(0, 0), lossy(0, 0));
  std::vector<uint8_t> got_a, got_b;
  skywire::io::byte_link::callbacks ca;
  ca.on_span = [&](std::span<const uint8_t> s) { got_a.insert(got_a.end(), s.begin(), s.end()); };
  ca.on_closed = [](const boost::system::error_code&) {};
  skywire::io::byte_link::callbacks cb;
  cb.on_span = [&](std::span<const uint8_t> s) { got_b.insert(got_b.end(), s.begin(), s.end()); };
  cb.on_closed = [](const boost::system::error_code&) {};
  k.a->start(std::move(ca), 4096);
  k.b->start(std::move(cb), 4096);
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    auto msg = pattern(3000, static_cast<uint32_t>(round));
    CHECK(k.a->write(skywire::io::byte_buffer(msg.begin(), msg.end())));
    CHECK(k.b->write(skywire::io::byte_buffer(msg.begin(), msg.end())));
    REQUIRE(k.net.run_until([&] {
      return got_a.size() == (round + 1) * msg.size() && got_b.size() == (round + 1) * msg.size();
    }, 5s));
    // everything acknowledged within a second; after that both ends are
    // quiet: ten more seconds run not one event (a link on the flush
    // interval ran one per interval and end)
    k.net.advance(1s);
    auto sent = k.sent_a + k.sent_b;
    CHECK(k.net.advance(10s) == 0);
    CHECK(k.sent_a + k.sent_b == sent);
  }
  // and a quiet link still notices a dead path: a write to a peer that is
  // gone is retransmitted until KCP gives up
  k.b->abandon();
  auto msg = pattern(100, 9);
  CHECK(k.a->write(skywire::io::byte_buffer(msg.begin(), msg.end())));
  auto before = k.sent_a;
  k.net.advance(2s);
  CHECK(k.sent_a > before + 1); // the first transmission and retransmissions
  k.a->abandon();
}
