// sudph across NAT routers, in network namespaces the test makes
// (tests/support/netns.hpp): the services run as `skywire` processes in the
// "public" namespace; the visors' sudph sides are the plain classes
// (sudph_socket, sudph_ar_channel, sudph_stun, transport_core) on one io shard
// of this process, their sockets opened inside the home namespaces.
//  - a STUN probe from behind each kind of router: the cone router is a
//    port-restricted cone NAT (sudph allowed), the symmetric one is reported
//    as a symmetric NAT (sudph not allowed);
//  - two cone NATs: without the resolver's push B's router drops A's dial;
//    once A resolves B, the resolver pushes A's address to B, B punches, and
//    A's dial gets through both NATs: a Noise KK transport, data both ways.
// Root only (skipped with a message otherwise; never under CI=true).
#include <doctest/doctest.h>

#include <chrono>
#include <random>

#include "actors/transport/errors.hpp"
#include "actors/transport/sudph_ar_channel.hpp"
#include "actors/transport/sudph_socket.hpp"
#include "actors/transport/sudph_stun.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/io/io_runtime.hpp"
#include "tests/actors/transport/sudph/support.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/netns.hpp"
#include "tests/e2e/natns/services.hpp"

namespace tp = skywire::transport;
namespace wt = skywire::wire::transport;
using namespace std::chrono_literals;
using namespace sudph_test;
using skywire::test::netns::nat_kind;
using skywire::test::netns::scoped_enter;
using skywire::test::netns::topology;
using udp = boost::asio::ip::udp;
using namespace natns_test;

namespace {

udp::endpoint at(const std::string& ip, uint16_t port) {
  return {boost::asio::ip::make_address(ip), port};
}

/// A sudph socket on the home's address, inside the home's namespace.
tp::sudph_socket_ptr open_at_home(boost::asio::io_context& ctx, const topology::site& s) {
  scoped_enter in{s.home};
  REQUIRE(in.ok());
  auto sock = tp::sudph_socket::open(ctx, s.home_ip, 0);
  REQUIRE_MESSAGE(sock, skywire::describe(sock.error()));
  return *sock;
}

struct stun_result {
  bool done = false;
  tp::nat_type type = tp::nat_type::unknown;
  std::optional<udp::endpoint> mapped;
};

/// The NAT type a probe from `sock` to `server` finds (the probe is run on the shard).
stun_result probe_nat(boost::asio::io_context& ctx, events& ev, const tp::sudph_socket_ptr& sock,
                      const udp::endpoint& server) {
  stun_result r;
  std::shared_ptr<tp::sudph_stun> st;
  tp::sudph_stun_config cfg;
  cfg.timeout = 100ms; // inside one host: an answer takes well under a millisecond
  on_shard(ctx, [&] {
    st = tp::sudph_stun::make(sock, server, cfg,
                              [&](tp::nat_type t, std::optional<udp::endpoint> m) {
                                ev.change([&] {
                                  r.done = true;
                                  r.type = t;
                                  r.mapped = m;
                                });
                              });
    st->start();
  });
  REQUIRE(ev.wait([&] { return r.done; }, 10s));
  std::lock_guard<std::mutex> g{ev.mtx};
  return r;
}

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng{seed};
  for (auto& b : v)
    b = static_cast<uint8_t>(rng());
  return v;
}

/// A visor's sudph side behind its router.
struct home_visor {
  skywire::crypto::keypair key;
  tp::sudph_socket_ptr sock;
  tp::sudph_ar_channel_ptr channel;
  bool bound = false;
  std::vector<wt::ar_push> pushes;
  std::vector<udp::endpoint> punched_from;
  transport_end end;         ///< the transport it accepted (B) or dialed (A)
  tp::kcp_link_ptr accepted; ///< B: the incoming session
};

} // namespace

TEST_CASE("natns: a STUN probe behind each router: a cone NAT allows sudph, a symmetric NAT "
          "is reported as such") {
  if (!SKYWIRE_REQUIRE_NETNS())
    return;
  topology t{nat_kind::cone, nat_kind::symmetric};
  REQUIRE_MESSAGE(t.error().empty(), t.error());
  skywire::test::temp_dir tmp;
  service stun;
  start_stun(stun, t, tmp.path);
  skywire::io::io_runtime io{1};
  auto& ctx = io.context();
  events ev;
  auto sa = open_at_home(ctx, t.a);
  auto sb = open_at_home(ctx, t.b);
  at_scope_exit closer{[&] {
    on_shard(ctx, [&] {
      sa->close();
      sb->close();
    });
  }};
  on_shard(ctx, [&] {
    sa->start(nullptr);
    sb->start(nullptr);
  });
  auto server = at(topology::service_ip, stun_port);

  auto cone = probe_nat(ctx, ev, sa, server);
  CHECK_MESSAGE(cone.type == tp::nat_type::port_restricted, tp::to_string(cone.type),
                "\n", t.ruleset(t.a));
  REQUIRE(cone.mapped);
  CHECK(cone.mapped->address().to_string() == t.a.public_ip); // the router's address
  CHECK(tp::sudph_allowed(cone.type));

  auto sym = probe_nat(ctx, ev, sb, server);
  CHECK_MESSAGE(sym.type == tp::nat_type::symmetric, tp::to_string(sym.type), "\n",
                t.ruleset(t.b));
  REQUIRE(sym.mapped);
  CHECK(sym.mapped->address().to_string() == t.b.public_ip);
  CHECK_FALSE(tp::sudph_allowed(sym.type));
  CHECK(std::string{tp::to_string(sym.type)} == "symmetric NAT");

  closer.now();
  CHECK(stun.p.stop(SIGTERM, 5s));
  CHECK(stun.p.exit_code() == 0);
  auto text = skywire::test::read_text(stun.log);
  CHECK_MESSAGE(text.find("stun server stopped") != std::string::npos, text);
}

TEST_CASE("natns: sudph between two homes behind cone NATs connects through a hole punch") {
  if (!SKYWIRE_REQUIRE_NETNS())
    return;
  topology t{nat_kind::cone, nat_kind::cone};
  REQUIRE_MESSAGE(t.error().empty(), t.error());
  skywire::test::temp_dir tmp;
  service ar;
  start_ar(ar, t, tmp.path);
  auto ar_udp = at(topology::service_ip, ar_port);

  skywire::io::io_runtime io{1};
  auto& ctx = io.context();
  events ev;
  home_visor a, b;
  transport_end lost; // A's dial before the push
  a.key = key("natns-a");
  b.key = key("natns-b");
  a.sock = open_at_home(ctx, t.a);
  b.sock = open_at_home(ctx, t.b);
  // whatever happens, nothing runs on the shard once this scope ends
  at_scope_exit closer{[&] {
    on_shard(ctx, [&] {
      if (lost.core)
        lost.core->abort();
      for (auto* v : {&a, &b}) {
        if (v->end.core)
          v->end.core->abort();
        if (v->channel)
          v->channel->stop();
        v->sock->close();
      }
    });
  }};
  on_shard(ctx, [&] {
    a.sock->start(nullptr);
    b.sock->start([&](const tp::kcp_link_ptr& link) {
      if (b.end.core) { // one transport in this test: a second session is refused
        link->abandon();
        return;
      }
      auto p = transport_params(ev, b.end, tp::transport_role::responder, b.key, {});
      std::weak_ptr<tp::kcp_link> wl = link;
      p.on_up = [&, wl](const tp::established&) {
        if (auto l = wl.lock())
          b.sock->confirm(*l);
        ev.change([&] { b.end.up = true; });
      };
      auto core = tp::transport_core::make(std::move(p));
      REQUIRE(core);
      b.end.core = *core;
      b.accepted = link;
      b.end.core->start(link);
    });
    for (auto* v : {&a, &b}) {
      const auto& site = v == &a ? t.a : t.b;
      v->sock->set_on_holepunch([&ev, v](const udp::endpoint& from) {
        ev.change([&] { v->punched_from.push_back(from); });
      });
      tp::ar_channel_config cfg;
      cfg.addresses = {site.home_ip};
      tp::ar_channel_events e;
      e.on_bound = [&ev, v] { ev.change([&] { v->bound = true; }); };
      e.on_push = [&ev, v](const wt::ar_push& p, bool punched) {
        CHECK(punched);
        ev.change([&] { v->pushes.push_back(p); });
      };
      v->channel = tp::sudph_ar_channel::make(v->sock, ar_udp, v->key, cfg, std::move(e));
      v->channel->start();
    }
  });
  REQUIRE(ev.wait([&] { return a.bound && b.bound; }, 10s));

  // B's public mapping, as the resolver saw it; asked by a key with no
  // sudph binding, so nobody is pushed
  wt::visor_data vd;
  {
    scoped_enter in{t.a.home};
    REQUIRE(in.ok());
    auto deadline = std::chrono::steady_clock::now() + 5s;
    skywire::expected<skywire::http::response> r = skywire::make_error(skywire::wire_errc::truncated);
    do { // the resolver stores the binding once it read the bind message
      r = ar_resolve(topology::service_ip, ar_port, key("natns-c"), "sudph", b.key.pk);
      REQUIRE_MESSAGE(r, skywire::describe(r.error()));
    } while (r->status == 404 && std::chrono::steady_clock::now() < deadline);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    auto d = wt::decode_visor_data(r->body);
    REQUIRE(d);
    vd = *d;
  }
  CHECK_FALSE(vd.is_local); // different public addresses
  auto b_public = tp::parse_udp_endpoint(vd.remote_addr);
  REQUIRE(b_public);
  CHECK(b_public->address().to_string() == t.b.public_ip);
  auto candidates = tp::sudph_dial_candidates(vd);
  REQUIRE(candidates.size() == 1);
  CHECK(candidates[0] == *b_public);

  // A's dial as the transport manager makes it: `holepunch`, then a KCP
  // session to the candidate and the handshakes on it
  auto dial = [&](transport_end& end, std::chrono::milliseconds frames, caf::error& err) {
    on_shard(ctx, [&] {
      auto p = transport_params(ev, end, tp::transport_role::initiator, a.key, b.key.pk);
      p.limits.frames = frames;
      p.on_down = [&](const caf::error& e) {
        ev.change([&] {
          ++end.downs;
          err = e;
        });
      };
      auto core = tp::transport_core::make(std::move(p));
      REQUIRE(core);
      end.core = *core;
      end.core->start(a.sock->dial(candidates[0]));
    });
  };

  // without the push, B has not punched: its router drops A's dial
  caf::error lost_err;
  dial(lost, 1s, lost_err);
  REQUIRE(ev.wait([&] { return lost.downs == 1; }, 10s));
  CHECK_MESSAGE(tp::is(lost_err, tp::transport_errc::handshake_timeout),
                skywire::describe(lost_err));
  {
    std::lock_guard<std::mutex> g{ev.mtx};
    CHECK_FALSE(lost.up);
    CHECK(b.pushes.empty());
    CHECK_FALSE(b.end.core); // nothing reached B's socket
  }
  on_shard(ctx, [&] { CHECK(b.sock->stats().holepunch_in == 0); });

  // A resolves B: the resolver pushes A's public address to B, B punches,
  // and A's dial (the manager dials right after the resolve) gets through;
  // should A's first datagrams beat B's punch, KCP resends them
  {
    scoped_enter in{t.a.home};
    REQUIRE(in.ok());
    auto r = ar_resolve(topology::service_ip, ar_port, a.key, "sudph", b.key.pk);
    REQUIRE_MESSAGE(r, skywire::describe(r.error()));
    REQUIRE(r->status == 200);
  }
  caf::error err;
  dial(a.end, 10s, err);
  REQUIRE(ev.wait([&] { return (a.end.up && b.end.up) || a.end.downs > 0; }, 15s));
  REQUIRE_MESSAGE(a.end.downs == 0, skywire::describe(err));
  {
    std::lock_guard<std::mutex> g{ev.mtx};
    REQUIRE(b.pushes.size() == 1);
    CHECK(b.pushes[0].pk == a.key.pk);
    auto a_public = tp::parse_udp_endpoint(b.pushes[0].addr);
    REQUIRE(a_public);
    CHECK(a_public->address().to_string() == t.a.public_ip);
    CHECK(a.pushes.empty());
    // B's incoming session came from A's public mapping: through both NATs
    REQUIRE(b.accepted);
    CHECK(b.accepted->remote() == *a_public);
  }
  on_shard(ctx, [&] { CHECK(b.sock->stats().holepunch_out == 1); });

  // data both ways, byte-equal
  auto from_a = pattern(96 * 1024, 1), from_b = pattern(96 * 1024, 2);
  on_shard(ctx, [&] {
    CHECK(a.end.core->write(from_a) == tp::transport_core::write_result::ok);
    CHECK(b.end.core->write(from_b) == tp::transport_core::write_result::ok);
  });
  REQUIRE(ev.wait([&] { return a.end.data.size() >= from_b.size()
                               && b.end.data.size() >= from_a.size(); }, 10s));
  {
    std::lock_guard<std::mutex> g{ev.mtx};
    CHECK(a.end.data == from_b);
    CHECK(b.end.data == from_a);
    CHECK(a.end.downs == 0);
    CHECK(b.end.downs == 0);
  }

  closer.now();
  CHECK(ar.p.stop(SIGTERM, 5s));
}
