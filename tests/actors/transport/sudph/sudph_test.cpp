// sudph on 127.0.0.1 with real UDP sockets: a KCP transport between two
// visors' shared sockets (dial -> listener, transport handshake, Noise KK,
// settlement, 1 MiB each way) and garbage at the sockets beside it.
// One io shard runs every socket, link and core; the test thread waits on
// what they report, each wait bounded.
#include <doctest/doctest.h>

#include <chrono>
#include <random>

#include "actors/transport/sudph_socket.hpp"
#include "actors/transport/transport_core.hpp"
#include "messages/wire/kcp/segment.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/io_runtime.hpp"
#include "support.hpp"

namespace tp = skywire::transport;
namespace wt = skywire::wire::transport;
namespace wk = skywire::wire::kcp;
using namespace std::chrono_literals;
using skywire::byte_span;
using udp = boost::asio::ip::udp;
using namespace sudph_test;

namespace {

using end_state = transport_end;

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng{seed};
  for (auto& b : v)
    b = static_cast<uint8_t>(rng());
  return v;
}

/// Writes all of `data` through the core (from the test thread), waiting
/// when the queue is full.
void write_all(events& ev, end_state& st, const std::vector<uint8_t>& data) {
  size_t off = 0;
  while (off < data.size()) {
    auto n = std::min<size_t>(64 * 1024, data.size() - off);
    auto r = st.core->write({data.data() + off, n});
    if (r == tp::transport_core::write_result::ok) {
      off += n;
      continue;
    }
    REQUIRE(r == tp::transport_core::write_result::queue_full);
    // the queue drains as KCP takes it: wait for the core to accept again
    auto q = st.core->queued_bytes();
    ev.wait([&] { return st.core->queued_bytes() < q || st.downs > 0; }, 100ms);
    REQUIRE(st.downs == 0);
  }
}

/// Two visors' sudph sockets and an established sudph transport between them.
struct transport_pair {
  skywire::io::io_runtime io{1};
  boost::asio::io_context& ctx = io.context();
  skywire::crypto::keypair ka = key("sudph-a"), kb = key("sudph-b");
  tp::sudph_socket_ptr sa, sb;
  events ev;
  end_state a, b;
  std::vector<tp::kcp_link_ptr> strays; ///< junk sessions, held
  tp::kcp_link_ptr dial_link;

  transport_pair() {
    auto s1 = tp::sudph_socket::open(ctx, "127.0.0.1", 0);
    auto s2 = tp::sudph_socket::open(ctx, "127.0.0.1", 0);
    REQUIRE(s1);
    REQUIRE(s2);
    sa = *s1;
    sb = *s2;
    on_shard(ctx, [this] {
      sa->start(nullptr);
      sb->start([this](const tp::kcp_link_ptr& link) {
        if (b.core) { // a later session: held, never started (an owner that is slow)
          strays.push_back(link);
          return;
        }
        auto p = transport_params(ev, b, tp::transport_role::responder, kb, {});
        std::weak_ptr<tp::kcp_link> wl = link;
        p.on_up = [this, wl](const tp::established&) {
          if (auto l = wl.lock())
            sb->confirm(*l);
          ev.change([&] { b.up = true; });
        };
        auto core = tp::transport_core::make(std::move(p));
        REQUIRE(core);
        b.core = *core;
        b.core->start(link);
      });
      auto link = sa->dial(sb->local_endpoint());
      dial_link = link;
      auto core = tp::transport_core::make(
        transport_params(ev, a, tp::transport_role::initiator, ka, kb.pk));
      REQUIRE(core);
      a.core = *core;
      a.core->start(link);
    });
    REQUIRE(ev.wait([&] { return (a.up && b.up) || a.downs > 0 || b.downs > 0; }));
    REQUIRE(a.up);
    REQUIRE(b.up);
  }
  ~transport_pair() {
    on_shard(ctx, [this] {
      if (a.core)
        a.core->abort();
      if (b.core)
        b.core->abort();
      for (auto& l : strays)
        l->abandon();
      sa->close();
      sb->close();
    });
  }

  /// Sends n bytes each way and checks they arrive byte-equal.
  void exchange(size_t n, uint32_t seed) {
    auto from_a = pattern(n, seed), from_b = pattern(n, seed + 1);
    size_t had_a = 0, had_b = 0;
    {
      std::lock_guard<std::mutex> g{ev.mtx};
      had_a = a.data.size();
      had_b = b.data.size();
    }
    write_all(ev, a, from_a);
    write_all(ev, b, from_b);
    REQUIRE(ev.wait([&] { return b.data.size() >= had_b + n && a.data.size() >= had_a + n; },
                    8s));
    std::lock_guard<std::mutex> g{ev.mtx};
    CHECK(b.data.size() == had_b + n);
    CHECK(a.data.size() == had_a + n);
    CHECK(std::equal(from_a.begin(), from_a.end(), b.data.begin() + static_cast<ptrdiff_t>(had_b)));
    CHECK(std::equal(from_b.begin(), from_b.end(), a.data.begin() + static_cast<ptrdiff_t>(had_a)));
    CHECK(a.downs == 0);
    CHECK(b.downs == 0);
  }
};

} // namespace

TEST_CASE("sudph: dial to a listener, handshake, KK, settlement, 1 MiB each way") {
  transport_pair t;
  t.exchange(1024 * 1024, 7);
  on_shard(t.ctx, [&] {
    CHECK(t.sa->dialing() == 1);
    CHECK(t.sb->incoming() == 1);
    CHECK(t.sb->pending() == 0); // confirmed once up
    CHECK(t.sa->stats().holepunch_out == 1);
    CHECK(t.sb->stats().holepunch_in == 1); // the dialer's, ignored
  });
  // a graceful close: the queued frames are acknowledged, then the link ends.
  // KCP has no close segment (kcp-go sends none), so the peer learns it only
  // from its own close or its keep-alive bound; here it closes too.
  t.a.core->close();
  REQUIRE(t.ev.wait([&] { return t.a.downs == 1; }));
  CHECK(t.b.downs == 0);
  t.b.core->close();
  REQUIRE(t.ev.wait([&] { return t.b.downs == 1; }));
  on_shard(t.ctx, [&] {
    CHECK(t.sa->dialing() == 0);
    CHECK(t.sb->incoming() == 0);
  });
}

TEST_CASE("sudph: garbage, oversized and random-conversation datagrams leave a transport alone") {
  transport_pair t;
  t.exchange(64 * 1024, 11);
  raw_socket junk;
  auto to_a = t.sa->local_endpoint(), to_b = t.sb->local_endpoint();
  std::string_view hp = wt::holepunch_datagram;
  std::vector<std::vector<uint8_t>> junk_datagrams{
    {hp.begin(), hp.end()},
    std::vector<uint8_t>(3000, 0x52), // longer than the receive buffer
    std::vector<uint8_t>(40, 0x51),   // looks like KCP, is not
    std::vector<uint8_t>(3, 0x51),    // too short to look like anything
    kcp_push(0x12345678, 5, "not the opening segment"),
  };
  for (int i = 0; i < 20; ++i) {
    auto r = pattern(100 + static_cast<size_t>(i) * 50, 100 + static_cast<uint32_t>(i));
    junk_datagrams.push_back(r);
  }
  for (auto& d : junk_datagrams) {
    junk.send(to_a, d);
    junk.send(to_b, d);
  }
  // well-formed openings from the junk socket: new pending sessions on B's
  // listener (bounded per source), none on A (no acceptor there)
  for (uint32_t conv = 1; conv <= 12; ++conv) {
    auto d = kcp_push(0xdead0000 + conv, 0, "get_nonce?");
    junk.send(to_b, d);
    junk.send(to_a, d);
  }
  // the transport's own conversation id from a stranger: on the dialer's side
  // it does not reach the dial (another source), on the listener's side it is
  // another session; either way the transport's KCP never sees it
  auto conv = t.dial_link->conv();
  for (uint32_t sn : {0u, 1u, 2u, 1000u}) {
    auto d = kcp_push(conv, sn, "injected");
    junk.send(to_a, d);
    junk.send(to_b, d);
  }
  // the transport still carries data both ways, byte-equal
  t.exchange(256 * 1024, 21);
  on_shard(t.ctx, [&] {
    auto& sb = t.sb->stats();
    CHECK(sb.dropped_truncated == 1);
    CHECK(sb.holepunch_in >= 2); // the dialer's and the junk one
    CHECK(sb.dropped_malformed >= 2);
    CHECK(sb.refused_pending == 13 - 8); // max_pending_per_source
    CHECK(t.sb->pending() == 8);
    CHECK(t.sb->incoming() == 1 + 8);
    CHECK(t.sa->incoming() == 0);
    CHECK(t.sa->stats().refused_incoming == 13);
    CHECK(t.dial_link->refused_datagrams() == 0);
    CHECK(t.dial_link->kcp_stats().input_errors == 0);
  });
  CHECK(t.a.downs == 0);
  CHECK(t.b.downs == 0);
}


TEST_CASE("sudph: a session that opens and never completes is closed at the handshake deadline") {
  skywire::io::io_runtime io{1};
  auto& ctx = io.context();
  tp::sudph_socket_config cfg;
  cfg.handshake_deadline = 100ms;
  cfg.max_pending = 2;
  auto s = tp::sudph_socket::open(ctx, "127.0.0.1", 0, cfg);
  REQUIRE(s);
  auto sock = *s;
  events ev;
  std::vector<tp::kcp_link_ptr> accepted;
  int closed = 0;
  on_shard(ctx, [&] {
    sock->start([&](const tp::kcp_link_ptr& link) {
      skywire::io::byte_link::callbacks cbs;
      cbs.on_data = [](skywire::io::byte_buffer&&) {};
      cbs.on_closed = [&](const boost::system::error_code&) { ev.change([&] { ++closed; }); };
      link->start(std::move(cbs), 4096);
      ev.change([&] { accepted.push_back(link); });
    });
  });
  raw_socket one, two, three;
  one.send(sock->local_endpoint(), kcp_push(1, 0, "a"));
  two.send(sock->local_endpoint(), kcp_push(2, 0, "b"));
  three.send(sock->local_endpoint(), kcp_push(3, 0, "c")); // over max_pending
  REQUIRE(ev.wait([&] { return accepted.size() == 2; }));
  REQUIRE(ev.wait([&] { return closed == 2; }));
  on_shard(ctx, [&] {
    CHECK(sock->stats().accepted == 2);
    CHECK(sock->stats().refused_pending == 1);
    CHECK(sock->stats().expired_pending == 2);
    CHECK(sock->pending() == 0);
    CHECK(sock->incoming() == 0);
    // a session that stayed open would have been answered: each got its ACK
    CHECK(accepted[0]->kcp_stats().datagrams_out >= 1);
    sock->close();
  });
}

TEST_CASE("sudph: dial candidates, local addresses first when the resolver says is_local") {
  wt::visor_data vd;
  vd.remote_addr = "203.0.113.9:40001";
  vd.local = {skywire::port{52345}, {"192.168.1.10", "not-an-ip", "10.0.0.5", "192.168.1.10"}};
  auto remote_only = tp::sudph_dial_candidates(vd);
  REQUIRE(remote_only.size() == 1);
  CHECK(remote_only[0] == udp::endpoint{boost::asio::ip::make_address("203.0.113.9"), 40001});
  vd.is_local = true;
  auto all = tp::sudph_dial_candidates(vd);
  REQUIRE(all.size() == 3);
  CHECK(all[0] == udp::endpoint{boost::asio::ip::make_address("192.168.1.10"), 52345});
  CHECK(all[1] == udp::endpoint{boost::asio::ip::make_address("10.0.0.5"), 52345});
  CHECK(all[2] == remote_only[0]);
  vd.remote_addr = "203.0.113.9"; // no port: not dialable
  CHECK(tp::sudph_dial_candidates(vd).size() == 2);
  vd.local.prt = skywire::port{0};
  CHECK(tp::sudph_dial_candidates(vd).empty());
}
