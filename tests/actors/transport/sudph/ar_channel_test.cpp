// The visor's sudph control channel against the real address resolver in
// process, on 127.0.0.1: two visors' sockets and channels bind; a resolve
// over HTTP makes the resolver push, the pushed visor punches toward the
// other's socket; heartbeats keep the binding; delBind removes it. One io
// shard runs the resolver's UDP side, the sockets and the channels.
#include <doctest/doctest.h>

#include <chrono>

#include "actors/services/address_resolver/service.hpp"
#include "actors/transport/sudph_ar_channel.hpp"
#include "actors/transport/sudph_socket.hpp"
#include "messages/wire/httpauth.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/io/io_runtime.hpp"
#include "support.hpp"
#include "tests/support/http_service.hpp"

namespace tp = skywire::transport;
namespace wt = skywire::wire::transport;
namespace http = skywire::http;
using namespace std::chrono_literals;
using skywire::test::http_call;
using udp = boost::asio::ip::udp;
using namespace sudph_test;

namespace {

namespace ar = skywire::services::address_resolver;

/// A client as the Go addrresolver client: fetches its nonce, signs body||nonce.
http::response resolve(uint16_t port, const skywire::crypto::keypair& kp, std::string_view type,
                       const skywire::public_key& pk) {
  auto r = ar_resolve("127.0.0.1", port, kp, type, pk);
  REQUIRE_MESSAGE(r, skywire::describe(r.error()));
  return *r;
}

std::string metric(uint16_t port, const std::string& name) {
  auto body = http_call(port, http::verb::get, "/metrics").body;
  auto at = body.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  auto start = at + name.size() + 2;
  return body.substr(start, body.find('\n', start) - start);
}

/// A visor's sudph side: its socket and its channel to the AR.
struct visor {
  tp::sudph_socket_ptr sock;
  tp::sudph_ar_channel_ptr channel;
  int bound = 0;
  int downs = 0;
  int heartbeats = 0;
  std::vector<udp::endpoint> punched_from;
  std::vector<wt::ar_push> pushes;
};

} // namespace

TEST_CASE("sudph: the control channel to the address resolver binds, heartbeats, is pushed, "
          "punches, unbinds") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  skywire::io::io_runtime io{1};
  auto& ctx = io.context();
  ar::ar_config acfg;
  acfg.port = 0;
  acfg.udp = {{"127.0.0.1", 0}};
  auto h = ar::spawn_address_resolver(sys, io, acfg);
  REQUIRE(h);
  REQUIRE(h->udp_ports.size() == 1);
  udp::endpoint ar_ep{boost::asio::ip::make_address("127.0.0.1"), h->udp_ports[0]};
  auto ka = key("ar-a"), kb = key("ar-b");
  events ev;
  visor va, vb;
  tp::ar_channel_config ccfg;
  ccfg.heartbeat = 50ms;
  ccfg.addresses = {"127.0.0.1"};
  for (auto* v : {&va, &vb}) {
    auto s = tp::sudph_socket::open(ctx, "127.0.0.1", 0);
    REQUIRE(s);
    v->sock = *s;
  }
  on_shard(ctx, [&] {
    for (auto vk : {std::pair{&va, ka}, std::pair{&vb, kb}}) {
      visor* v = vk.first;
      const auto& k = vk.second;
      v->sock->start(nullptr);
      v->sock->set_on_holepunch(
        [&ev, v](const udp::endpoint& from) {
          ev.change([&] { v->punched_from.push_back(from); });
        });
      tp::ar_channel_events e;
      e.on_heartbeat = [&ev, v] { ev.change([&] { ++v->heartbeats; }); };
      e.on_bound = [&ev, v] { ev.change([&] { ++v->bound; }); };
      e.on_push = [&ev, v](const wt::ar_push& p, bool punched) {
        CHECK(punched);
        ev.change([&] { v->pushes.push_back(p); });
      };
      e.on_down = [&ev, v](const caf::error&) { ev.change([&] { ++v->downs; }); };
      v->channel = tp::sudph_ar_channel::make(v->sock, ar_ep, k, ccfg, std::move(e));
      v->channel->start();
    }
  });
  REQUIRE(ev.wait([&] { return va.bound == 1 && vb.bound == 1; }));
  // the AR records the binding once it read the bind message: ask until it answers
  auto deadline = std::chrono::steady_clock::now() + 3s;
  http::response r;
  do {
    r = resolve(h->port, ka, "sudph", kb.pk);
  } while (r.status == 404 && std::chrono::steady_clock::now() < deadline);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  auto vd = wt::decode_visor_data(r.body);
  REQUIRE(vd);
  CHECK(vd->remote_addr == "127.0.0.1:" + std::to_string(vb.sock->local_port()));
  CHECK(vd->local.prt == skywire::port{vb.sock->local_port()});
  // B was pushed A's address and punched toward it; A's socket saw the holepunch
  REQUIRE(ev.wait([&] { return vb.pushes.size() == 1; }));
  CHECK(vb.pushes[0].pk == ka.pk);
  CHECK(vb.pushes[0].addr == "127.0.0.1:" + std::to_string(va.sock->local_port()));
  REQUIRE(ev.wait([&] { return va.punched_from.size() == 1; }));
  CHECK(va.punched_from[0].port() == vb.sock->local_port());
  CHECK(va.pushes.empty());
  // heartbeats keep the binding
  REQUIRE(ev.wait([&] { return va.heartbeats >= 3; }));
  deadline = std::chrono::steady_clock::now() + 3s;
  while (metric(h->port, "ar_sudph_heartbeats_total") == "0"
         && std::chrono::steady_clock::now() < deadline) {
  }
  CHECK(metric(h->port, "ar_sudph_heartbeats_total") != "0");
  CHECK(resolve(h->port, kb, "sudph", ka.pk).status == 200);
  // delBind removes the binding; the channel does not come back
  on_shard(ctx, [&] { vb.channel->stop(); });
  REQUIRE(ev.wait([&] { return vb.downs == 1; }));
  deadline = std::chrono::steady_clock::now() + 3s;
  do {
    r = resolve(h->port, ka, "sudph", kb.pk);
  } while (r.status == 200 && std::chrono::steady_clock::now() < deadline);
  CHECK(r.status == 404);
  CHECK(metric(h->port, "ar_sudph_unbinds_total") == "1");
  on_shard(ctx, [&] {
    CHECK(vb.channel->connects() == 1);
    va.channel->stop();
  });
  REQUIRE(ev.wait([&] { return va.downs == 1; }));
  on_shard(ctx, [&] {
    va.sock->close();
    vb.sock->close();
  });
  h->stop();
}

TEST_CASE("sudph: pushed addresses are parsed strictly") {
  auto ep = tp::parse_udp_endpoint("198.51.100.20:40001");
  REQUIRE(ep);
  CHECK(ep->address().to_string() == "198.51.100.20");
  CHECK(ep->port() == 40001);
  auto v6 = tp::parse_udp_endpoint("[2001:db8::1]:30178");
  REQUIRE(v6);
  CHECK(v6->address().is_v6());
  CHECK(v6->port() == 30178);
  for (std::string_view bad : {"", ":1", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536",
                               "1.2.3.4:12a", "host.example:80", "[::1:80", "[]:80", "1.2.3.4:-1"})
    CHECK_FALSE(tp::parse_udp_endpoint(bad));
}

TEST_CASE("sudph: a control channel whose resolver does not answer is opened again, backing off") {
  skywire::io::io_runtime io{1};
  auto& ctx = io.context();
  // a "resolver" that reads and never answers
  boost::asio::io_context silent_ctx;
  udp::socket silent{silent_ctx, udp::endpoint{boost::asio::ip::make_address("127.0.0.1"), 0}};
  auto s = tp::sudph_socket::open(ctx, "127.0.0.1", 0);
  REQUIRE(s);
  auto sock = *s;
  events ev;
  int downs = 0;
  std::vector<std::chrono::steady_clock::time_point> down_at;
  tp::ar_channel_config ccfg;
  ccfg.handshake = 100ms;
  ccfg.backoff_min = 20ms;
  ccfg.backoff_max = 80ms;
  std::shared_ptr<tp::sudph_ar_channel> ch;
  on_shard(ctx, [&] {
    sock->start(nullptr);
    tp::ar_channel_events e;
    e.on_down = [&](const caf::error& err) {
      CHECK(err);
      ev.change([&] {
        ++downs;
        down_at.push_back(std::chrono::steady_clock::now());
      });
    };
    ch = tp::sudph_ar_channel::make(sock, silent.local_endpoint(), key("lonely"), ccfg,
                                    std::move(e));
    ch->start();
  });
  REQUIRE(ev.wait([&] { return downs >= 4; }));
  on_shard(ctx, [&] {
    CHECK_FALSE(ch->bound());
    CHECK(ch->connects() >= 4);
    ch->stop();
  });
  {
    // each attempt waits out the back-off (20, 40, 80 ms: doubling, capped)
    // and the 100 ms handshake deadline; timers never fire early
    std::lock_guard<std::mutex> g{ev.mtx};
    CHECK(down_at[1] - down_at[0] >= 120ms);
    CHECK(down_at[2] - down_at[1] >= 140ms);
    CHECK(down_at[3] - down_at[2] >= 180ms);
  }
  on_shard(ctx, [&] { sock->close(); });
}
