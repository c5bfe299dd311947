// The sudph channel table with a manual clock and in-memory visors (KCP
// control blocks with kcp-go's settings), no sockets: the handshake, the
// bind, heartbeats, delBind, re-binds, pushes, replacement, deadlines, a
// dead link, garbage of every kind next to an established channel, and the
// bounds (per source, in all, handshake eviction).
#include <doctest/doctest.h>

#include <deque>
#include <memory>

#include "actors/services/address_resolver/sudph_table.hpp"
#include "messages/wire/kcp/segment.hpp"
#include "support.hpp"

using namespace ar_test;
namespace ar = skywire::services::address_resolver;
using endpoint = boost::asio::ip::udp::endpoint;
using bytes = std::vector<uint8_t>;

namespace {

struct recorder final : ar::sudph_table::listener {
  struct bound_ev {
    public_key pk;
    wt::visor_data data;
    boost::asio::ip::address observed;
    uint64_t channel;
  };
  struct unbound_ev {
    public_key pk;
    uint64_t channel;
    std::string why;
  };
  std::vector<bound_ev> bound;
  std::vector<unbound_ev> unbound;
  void on_bound(const public_key& pk, const wt::visor_data& data,
                const boost::asio::ip::address& observed, uint64_t channel) override {
    bound.push_back({pk, data, observed, channel});
  }
  void on_unbound(const public_key& pk, uint64_t channel, std::string_view why) override {
    unbound.push_back({pk, channel, std::string{why}});
  }
};

endpoint ep(const char* ip, uint16_t port) {
  return {boost::asio::ip::make_address(ip), port};
}

/// The resolver's table and visors on an in-memory network: datagrams are
/// queued both ways and delivered by pump() (never re-entrantly).
struct net {
  manual_timers timers;
  recorder events;
  std::deque<std::pair<endpoint, bytes>> to_ar, to_visors;
  bool deliver_to_visors = true;
  std::unique_ptr<ar::sudph_table> table;

  struct visor {
    net* n;
    endpoint addr;
    kcp_visor k;
    visor(net* owner, endpoint a, uint32_t conv)
      : n(owner), addr(a), k(conv, [this](std::span<const uint8_t> d) {
          n->to_ar.emplace_back(addr, bytes(d.begin(), d.end()));
        }) {}
    void send(std::string_view m) { k.send(m, n->timers.now); }
  };
  std::vector<std::unique_ptr<visor>> visors;

  explicit net(ar::sudph_table_config cfg = {}) {
    table = std::make_unique<ar::sudph_table>(
      cfg, timers, [this] { return timers.now; },
      [this](uint8_t, const endpoint& to, std::span<const uint8_t> d) {
        to_visors.emplace_back(to, bytes(d.begin(), d.end()));
      },
      events);
  }

  visor& add(endpoint a, uint32_t conv) {
    visors.push_back(std::make_unique<visor>(this, a, conv));
    return *visors.back();
  }

  void pump() {
    while (!to_ar.empty() || !to_visors.empty()) {
      while (!to_ar.empty()) {
        auto [from, d] = std::move(to_ar.front());
        to_ar.pop_front();
        table->on_datagram(0, from, d);
      }
      while (!to_visors.empty()) {
        auto [to, d] = std::move(to_visors.front());
        to_visors.pop_front();
        if (!deliver_to_visors)
          continue;
        for (auto& v : visors)
          if (v->addr == to)
            v->k.deliver(d, timers.now);
      }
      for (auto& v : visors)
        v->k.tick(timers.now);
    }
  }
  /// Lets `ms` pass in 10 ms steps: timers, visors' KCP ticks, deliveries.
  void run_for(int64_t ms) {
    auto end = timers.now + ms;
    while (timers.now < end) {
      pump();
      timers.advance(std::min<int64_t>(10, end - timers.now));
      for (auto& v : visors)
        v->k.tick(timers.now);
      pump();
    }
  }
  /// Runs until `v` has a message (at most `ms`).
  std::optional<std::string> next_message(visor& v, int64_t ms = 1000) {
    for (int64_t t = 0; t <= ms; t += 10) {
      pump();
      if (auto m = v.k.take())
        return m;
      run_for(10);
    }
    return std::nullopt;
  }
  /// Handshake and bind; the frames the visor saw are checked.
  void bind(visor& v, const skywire::crypto::keypair& kp, const wt::local_addresses& la) {
    v.send(wt::frame0_text);
    auto f1 = next_message(v);
    REQUIRE(f1);
    v.send(kcp_visor::frame2_for(*f1, kp));
    auto f3 = next_message(v);
    REQUIRE(f3);
    CHECK(*f3 == wt::encode_frame3({true, {}}));
    v.send(wt::encode_local_addresses(la));
    run_for(200);
  }
  uint64_t stat(const std::atomic<uint64_t>& c) const { return c.load(); }
};

const wt::local_addresses la1{skywire::port{52345}, {"192.168.1.10", "10.0.0.5"}};

} // namespace

TEST_CASE("sudph table: handshake, bind, heartbeats keep it, delBind ends it") {
  net n;
  auto a = key("alice");
  auto& v = n.add(ep("203.0.113.5", 40001), 0x5eed0001);
  n.bind(v, a, la1);
  REQUIRE(n.events.bound.size() == 1);
  const auto& b = n.events.bound[0];
  CHECK(b.pk == a.pk);
  CHECK(b.data.remote_addr == "203.0.113.5:40001");
  CHECK(b.data.local == la1);
  CHECK_FALSE(b.data.is_local);
  CHECK(b.observed == boost::asio::ip::make_address("203.0.113.5"));
  CHECK(n.table->channel_of(a.pk) == b.channel);
  CHECK(n.stat(n.table->stats().handshakes) == 1);
  CHECK(n.stat(n.table->stats().bound) == 1);
  CHECK(n.stat(n.table->stats().handshaking) == 0);

  // heartbeats every 10 s keep it for longer than the idle timeout
  for (int i = 0; i < 30; ++i) {
    v.send(wt::ar_heartbeat);
    n.run_for(10'000);
  }
  CHECK(n.events.unbound.empty());
  CHECK(n.stat(n.table->stats().heartbeats) == 30);
  CHECK(n.table->channel_of(a.pk));

  // a new bind message on the channel is a re-bind
  wt::local_addresses la2{skywire::port{52346}, {"192.168.1.11"}};
  v.send(wt::encode_local_addresses(la2));
  n.run_for(200);
  REQUIRE(n.events.bound.size() == 2);
  CHECK(n.events.bound[1].data.local == la2);
  CHECK(n.events.bound[1].channel == b.channel);

  // a message that means nothing is ignored
  v.send("hello?");
  n.run_for(200);
  CHECK(n.stat(n.table->stats().ignored_messages) == 1);
  CHECK(n.table->channel_of(a.pk));

  v.send(wt::ar_unbind);
  n.run_for(200);
  REQUIRE(n.events.unbound.size() == 1);
  CHECK(n.events.unbound[0].pk == a.pk);
  CHECK(n.events.unbound[0].channel == b.channel);
  CHECK(n.events.unbound[0].why == "delBind");
  CHECK(n.table->size() == 0);
  CHECK_FALSE(n.table->channel_of(a.pk));
  CHECK(n.timers.pending() == 0); // nothing left behind
  // its later datagrams are strays
  v.send(wt::ar_heartbeat);
  n.run_for(100);
  CHECK(n.stat(n.table->stats().stray) >= 1);
  CHECK(n.table->size() == 0);
}

TEST_CASE("sudph table: a silent channel is dropped after the idle timeout") {
  net n;
  auto a = key("alice");
  auto& v = n.add(ep("203.0.113.5", 40001), 7);
  n.bind(v, a, la1);
  n.run_for(179'000);
  CHECK(n.events.unbound.empty());
  n.run_for(2'000);
  REQUIRE(n.events.unbound.size() == 1);
  CHECK(n.events.unbound[0].why.find("before the deadline") != std::string::npos);
  CHECK(n.stat(n.table->stats().timed_out) == 1);
  CHECK(n.table->size() == 0);
}

TEST_CASE("sudph table: pushes reach the bound channel, nothing else") {
  net n;
  auto a = key("alice"), b = key("bob");
  auto& va = n.add(ep("203.0.113.5", 40001), 1);
  auto& vb = n.add(ep("198.51.100.20", 40002), 2);
  n.bind(va, a, la1);
  n.bind(vb, b, la1);
  auto ch_b = *n.table->channel_of(b.pk);
  auto push = wt::encode_ar_push({a.pk, "203.0.113.5:40001"});
  CHECK(n.table->push(b.pk, ch_b, push) == ar::sudph_table::push_result::queued);
  auto m = n.next_message(vb);
  REQUIRE(m);
  CHECK(*m == push);
  CHECK(wt::decode_ar_push(*m)->pk == a.pk);
  CHECK_FALSE(va.k.take());
  // a stale channel id, or the wrong key
  CHECK(n.table->push(b.pk, ch_b + 100, push) == ar::sudph_table::push_result::no_channel);
  CHECK(n.table->push(a.pk, ch_b, push) == ar::sudph_table::push_result::no_channel);
  CHECK(n.stat(n.table->stats().pushes) == 1);
  CHECK(n.stat(n.table->stats().pushes_failed) == 2);
}

TEST_CASE("sudph table: a newer channel of the same key replaces the older one") {
  net n;
  auto a = key("alice");
  auto& old_v = n.add(ep("203.0.113.5", 40001), 1);
  n.bind(old_v, a, la1);
  auto first = *n.table->channel_of(a.pk);
  // the visor restarted behind a new NAT mapping
  auto& new_v = n.add(ep("203.0.113.5", 40777), 2);
  n.bind(new_v, a, la1);
  auto second = *n.table->channel_of(a.pk);
  CHECK(second != first);
  REQUIRE(n.events.unbound.size() == 1);
  CHECK(n.events.unbound[0].channel == first);
  CHECK(n.events.unbound[0].why.find("replaced") != std::string::npos);
  REQUIRE(n.events.bound.size() == 2);
  CHECK(n.events.bound[1].data.remote_addr == "203.0.113.5:40777");
  CHECK(n.table->size() == 1);
  // a new conversation from the same address (same port after a restart)
  auto& same_port = n.add(ep("203.0.113.5", 40777), 3);
  n.bind(same_port, a, la1);
  CHECK(n.table->channel_of(a.pk) != second);
  CHECK(n.table->size() == 1);
  CHECK(n.stat(n.table->stats().replaced) == 2);
}

TEST_CASE("sudph table: handshakes that fail, stall or are forged") {
  net n;
  auto a = key("alice"), m = key("mallory");
  SUBCASE("not get_nonce") {
    auto& v = n.add(ep("203.0.113.5", 1), 1);
    v.send("hello");
    n.run_for(300);
    CHECK(n.table->size() == 0);
    CHECK(n.stat(n.table->stats().failed) == 1);
  }
  SUBCASE("Frame2 signed by another key") {
    auto& v = n.add(ep("203.0.113.5", 1), 1);
    v.send(wt::frame0_text);
    auto f1 = n.next_message(v);
    REQUIRE(f1);
    v.send(kcp_visor::frame2_for(*f1, a, &m));
    auto f3 = n.next_message(v);
    REQUIRE(f3);
    auto d3 = wt::decode_frame3(*f3);
    REQUIRE(d3);
    CHECK_FALSE(d3->ok);
    CHECK(d3->err_msg.find("signature") != std::string::npos);
    CHECK(n.table->size() == 0);
    CHECK(n.events.bound.empty());
  }
  SUBCASE("Frame2 for another nonce") {
    auto& v = n.add(ep("203.0.113.5", 1), 1);
    v.send(wt::frame0_text);
    REQUIRE(n.next_message(v));
    std::string other_f1 = wt::encode_frame1({});
    v.send(kcp_visor::frame2_for(other_f1, a));
    auto f3 = n.next_message(v);
    REQUIRE(f3);
    CHECK(wt::decode_frame3(*f3)->err_msg == "unexpected nonce");
    CHECK(n.table->size() == 0);
  }
  SUBCASE("silent after get_nonce: dropped after 5 s") {
    auto& v = n.add(ep("203.0.113.5", 1), 1);
    v.send(wt::frame0_text);
    n.run_for(4'900);
    CHECK(n.table->size() == 1);
    n.run_for(200);
    CHECK(n.table->size() == 0);
    CHECK(n.stat(n.table->stats().timed_out) == 1);
  }
  SUBCASE("no bind message: dropped 30 s after the handshake") {
    auto& v = n.add(ep("203.0.113.5", 1), 1);
    v.send(wt::frame0_text);
    auto f1 = n.next_message(v);
    v.send(kcp_visor::frame2_for(*f1, a));
    REQUIRE(n.next_message(v));
    n.run_for(29'500);
    CHECK(n.table->size() == 1);
    n.run_for(1'000);
    CHECK(n.table->size() == 0);
  }
  SUBCASE("a bind message that is not one") {
    auto& v = n.add(ep("203.0.113.5", 1), 1);
    v.send(wt::frame0_text);
    auto f1 = n.next_message(v);
    v.send(kcp_visor::frame2_for(*f1, a));
    REQUIRE(n.next_message(v));
    v.send(wt::ar_heartbeat);
    n.run_for(200);
    CHECK(n.table->size() == 0);
    CHECK(n.events.bound.empty());
  }
  CHECK(n.events.unbound.empty()); // never bound: nothing to tell
  CHECK(n.timers.pending() == 0);
}

TEST_CASE("sudph table: garbage and oversized datagrams change nothing for a bound channel") {
  net n;
  auto a = key("alice");
  auto& v = n.add(ep("203.0.113.5", 40001), 0x11);
  n.bind(v, a, la1);
  auto ch = *n.table->channel_of(a.pk);
  auto from = ep("203.0.113.5", 40001);
  auto attacker = ep("192.0.2.66", 666);
  auto& st = n.table->stats();

  n.table->on_datagram(0, from, bytes_of("holepunch")); // not KCP
  n.table->on_datagram(0, attacker, bytes(3, 0x51));
  CHECK(n.stat(st.garbage) == 2);
  n.table->on_datagram(0, from, bytes(1501, 0x51)); // longer than any kcp-go datagram
  n.table->on_datagram(0, attacker, bytes(100, 0x51), true); // the socket cut it
  CHECK(n.stat(st.oversized) == 2);

  // KCP-looking, for the channel's own conversation (so from someone who
  // knows its endpoint and conversation id; such a sender can still set the
  // window and una KCP reads from every header, as with kcp-go): its KCP
  // refuses it
  skywire::wire::kcp::header h;
  h.conv = 0x11;
  h.wnd = 32;
  h.cmd = skywire::wire::kcp::command::push;
  h.sn = 1'000'000;
  h.len = 50; // more than follows
  auto hdr = skywire::wire::kcp::encode(h);
  n.table->on_datagram(0, from, bytes(hdr.begin(), hdr.end()));
  CHECK(n.stat(st.refused_datagrams) == 1);
  // far outside the window: dropped by KCP, counted, nothing delivered
  bytes seg;
  h.len = 0;
  skywire::wire::kcp::append_segment(seg, h, bytes_of("delBind"));
  n.table->on_datagram(0, from, seg);
  CHECK(n.stat(st.refused_datagrams) == 2);
  // another conversation that does not start at sn 0, from anyone
  h.conv = 0x99;
  seg.clear();
  skywire::wire::kcp::append_segment(seg, h, bytes_of("delBind"));
  n.table->on_datagram(0, attacker, seg);
  n.table->on_datagram(0, from, seg);
  CHECK(n.stat(st.stray) == 2);

  // the established channel is untouched: bound, no event, pushes still flow
  CHECK(n.table->channel_of(a.pk) == ch);
  CHECK(n.events.unbound.empty());
  CHECK(n.table->size() == 1);
  CHECK(n.table->push(a.pk, ch, "{\"PK\":\"x\"}") == ar::sudph_table::push_result::queued);
  CHECK(n.next_message(v) == std::string{"{\"PK\":\"x\"}"});
  v.send(wt::ar_heartbeat);
  n.run_for(100);
  CHECK(n.stat(st.heartbeats) == 1);
}

TEST_CASE("sudph table: a peer that stops acknowledging is noticed (KCP dead link)") {
  net n;
  auto a = key("alice");
  auto& v = n.add(ep("203.0.113.5", 40001), 5);
  n.bind(v, a, la1);
  auto ch = *n.table->channel_of(a.pk);
  n.deliver_to_visors = false; // the path is cut
  CHECK(n.table->push(a.pk, ch, "{}") == ar::sudph_table::push_result::queued);
  n.run_for(120'000);
  REQUIRE(n.events.unbound.size() == 1);
  CHECK(n.events.unbound[0].why.find("dead") != std::string::npos);
  CHECK(n.stat(n.table->stats().dead) == 1);
  CHECK(n.table->size() == 0);
}

TEST_CASE("sudph table: bounds per source and in all; handshakes evicted for newcomers") {
  ar::sudph_table_config cfg;
  cfg.max_handshakes = 4;
  cfg.max_handshakes_per_source = 2;
  cfg.max_channels = 5;
  cfg.max_channels_per_source = 3;
  net n{cfg};
  auto& st = n.table->stats();
  // two stalled handshakes per source at most
  for (uint16_t p = 1; p <= 3; ++p)
    n.add(ep("192.0.2.1", p), p).send(wt::frame0_text);
  n.pump();
  CHECK(n.table->size() == 2);
  CHECK(n.stat(st.refused_channels) == 1);
  // the handshake budget (4) full of stalled ones: the oldest makes room
  n.add(ep("192.0.2.2", 1), 10).send(wt::frame0_text);
  n.add(ep("192.0.2.2", 2), 11).send(wt::frame0_text);
  n.pump();
  CHECK(n.table->size() == 4);
  auto a = key("alice");
  auto& honest = n.add(ep("203.0.113.5", 40001), 20);
  n.bind(honest, a, la1);
  CHECK(n.table->channel_of(a.pk));
  CHECK(n.stat(st.evicted_handshakes) >= 1);
  // channels in all (5): a newcomer evicts a stalled handshake, never an
  // established channel; full of established channels, it is refused
  std::vector<skywire::crypto::keypair> more;
  for (int i = 0; i < 5; ++i) {
    more.push_back(key("more-" + std::to_string(i)));
    auto ip = "198.51.100." + std::to_string(10 + i);
    auto& v = n.add(ep(ip.c_str(), 200), 200u + i);
    if (i < 4)
      n.bind(v, more.back(), la1);
    else
      v.send(wt::frame0_text);
  }
  n.pump();
  CHECK(n.table->size() == 5);
  CHECK(n.events.bound.size() == 5); // alice and 4 more, none evicted
  CHECK(n.events.unbound.empty());
  CHECK(n.stat(st.refused_channels) >= 2);
  for (int i = 0; i < 4; ++i)
    CHECK(n.table->channel_of(more[static_cast<size_t>(i)].pk));
  // bound channels per source (3)
  ar::sudph_table_config cfg2;
  cfg2.max_channels_per_source = 2;
  net n2{cfg2};
  for (int i = 0; i < 3; ++i) {
    auto kp = key("same-nat-" + std::to_string(i));
    auto& v = n2.add(ep("203.0.113.9", static_cast<uint16_t>(100 + i)), 100u + i);
    v.send(wt::frame0_text);
    n2.pump();
    if (i < 2) {
      auto f1 = n2.next_message(v);
      REQUIRE(f1);
      v.send(kcp_visor::frame2_for(*f1, kp));
      REQUIRE(n2.next_message(v));
      v.send(wt::encode_local_addresses(la1));
      n2.run_for(100);
    }
  }
  CHECK(n2.events.bound.size() == 2);
  CHECK(n2.table->size() == 2);
  CHECK(n2.stat(n2.table->stats().refused_channels) == 1);
}
