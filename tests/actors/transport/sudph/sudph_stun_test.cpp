// The NAT-type probe run from a sudph socket against a STUN server on the
// loopback (127.0.0.1 and 127.0.0.2, two ports each, as a real server's two
// addresses): a host without NAT, a firewall that drops the changed
// answers, no server at all. Every wait is on the probe's result, bounded.
#include <doctest/doctest.h>

#include <map>

#include "actors/transport/sudph_stun.hpp"
#include "runtime/io/io_runtime.hpp"
#include "support.hpp"

namespace tp = skywire::transport;
namespace stun = skywire::transport::stun;
using namespace std::chrono_literals;
using namespace sudph_test;
using udp = boost::asio::ip::udp;

namespace {

struct outcome {
  bool done = false;
  tp::nat_type type = tp::nat_type::unknown;
  std::optional<udp::endpoint> mapped;
};

} // namespace

TEST_CASE("sudph stun: from the sudph socket, against a two-address server on the loopback") {
  skywire::io::io_runtime io{1};
  auto& ctx = io.context();
  fake_stun server{ctx};
  auto s = tp::sudph_socket::open(ctx, "127.0.0.1", 0);
  REQUIRE(s);
  auto sock = *s;
  events ev;
  tp::sudph_stun_config cfg;
  cfg.timeout = 50ms;
  cfg.tries = 3;

  auto probe = [&](udp::endpoint to) {
    outcome o;
    std::shared_ptr<tp::sudph_stun> st;
    on_shard(ctx, [&] {
      st = tp::sudph_stun::make(sock, to, cfg,
                                [&](tp::nat_type t, std::optional<udp::endpoint> m) {
                                  ev.change([&] {
                                    o.done = true;
                                    o.type = t;
                                    o.mapped = m;
                                  });
                                });
      st->start();
    });
    REQUIRE(ev.wait([&] { return o.done; }));
    auto sent = on_shard(ctx, [&] { return st->requests_sent(); });
    return std::pair{o, sent};
  };

  on_shard(ctx, [&] {
    server.start();
    sock->start(nullptr);
  });
  // no NAT on the loopback: the mapped address is the socket's own
  auto [open, sent_open] = probe(server.address(0, 0));
  CHECK(open.type == tp::nat_type::open_internet);
  CHECK(open.mapped == sock->local_endpoint());
  CHECK(sent_open == 2);
  CHECK(tp::sudph_allowed(open.type));

  // the changed answers never come: a symmetric UDP firewall, after the retries
  on_shard(ctx, [&] { server.honour_change = false; });
  auto [fw, sent_fw] = probe(server.address(0, 0));
  CHECK(fw.type == tp::nat_type::symmetric_udp_firewall);
  CHECK(sent_fw == 1 + 3);
  CHECK_FALSE(tp::sudph_allowed(fw.type));

  // nobody there
  on_shard(ctx, [&] { server.close(); });
  auto [blocked, sent_blocked] = probe(server.address(0, 0));
  CHECK(blocked.type == tp::nat_type::udp_blocked);
  CHECK_FALSE(blocked.mapped);
  CHECK(sent_blocked == 3);

  on_shard(ctx, [&] {
    CHECK(sock->stats().stun_in == 3); // open: 2 answers; firewall: 1
    CHECK(sock->stats().dropped_not_kcp == 0);
    sock->close();
  });
}
