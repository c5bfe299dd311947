// The STUN server of `skywire svc stun`: the request decoder (hostile bytes
// refused as values), which of its four addresses answers what, the
// per-source budget, and a NAT-type probe from a sudph socket against it on
// the loopback (127.0.0.1 and 127.0.0.2), which finds no NAT.
#include <doctest/doctest.h>

#include <chrono>

#include "actors/services/stun/server.hpp"
#include "actors/transport/stun_probe.hpp"
#include "actors/transport/sudph_stun.hpp"
#include "runtime/io/io_runtime.hpp"
#include "tests/actors/transport/sudph/support.hpp"

namespace tp = skywire::transport;
namespace tstun = skywire::transport::stun;
namespace svc = skywire::services::stun;
using namespace std::chrono_literals;
using udp = boost::asio::ip::udp;
using sudph_test::events;
using sudph_test::on_shard;

namespace {

tstun::transaction_id tid(uint8_t n) {
  tstun::transaction_id id{};
  id.fill(n);
  return id;
}

udp::endpoint at(const char* ip, uint16_t port) { return {boost::asio::ip::make_address(ip), port}; }

} // namespace

TEST_CASE("stun: binding requests decode; anything else is refused as a value") {
  for (auto [ci, cp] : {std::pair{false, false}, {true, false}, {false, true}, {true, true}}) {
    auto r = tstun::decode_request(tstun::encode_request(tid(7), ci, cp));
    REQUIRE(r);
    CHECK(r->id == tid(7));
    CHECK(r->change_ip == ci);
    CHECK(r->change_port == cp);
  }
  auto good = tstun::encode_request(tid(1), true, true);
  auto err_of = [](std::vector<uint8_t> b) {
    auto r = tstun::decode_request(b);
    REQUIRE_FALSE(r);
    return r.error();
  };
  using skywire::wire_errc;
  auto is = [](const caf::error& e, wire_errc c) {
    return e.category() == skywire::wire_category() && e.code() == static_cast<uint8_t>(c);
  };
  CHECK(is(err_of({good.begin(), good.begin() + 19}), wire_errc::truncated));
  auto b = good;
  b[4] ^= 1; // no magic cookie (RFC 3489 request)
  CHECK(is(err_of(b), wire_errc::malformed));
  b = good;
  b[3] = 12; // length beyond the datagram
  CHECK(is(err_of(b), wire_errc::malformed));
  b = good;
  b[0] = 0x01; // a success response, not a request
  b[1] = 0x01;
  CHECK(is(err_of(b), wire_errc::unsupported));
  b = good;
  b[23] = 2; // CHANGE-REQUEST of 2 bytes (padded to 4)
  CHECK(is(err_of(b), wire_errc::malformed));
  b = good;
  b[23] = 8; // an attribute longer than the message
  CHECK(is(err_of(b), wire_errc::truncated));
  b = tstun::encode_request(tid(1));
  b.resize(tstun::max_message + 4, 0);
  b[2] = static_cast<uint8_t>((b.size() - 20) >> 8);
  b[3] = static_cast<uint8_t>(b.size() - 20);
  CHECK(is(err_of(b), wire_errc::oversized));
  // unknown attributes and RESPONSE-ADDRESS are skipped; the first CHANGE-REQUEST counts
  b = tstun::encode_request(tid(2));
  for (uint8_t x : {0x00, 0x02, 0x00, 0x08, 0x00, 0x01, 0x12, 0x34, 1, 2, 3, 4, // RESPONSE-ADDRESS
                    0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02,               // change port
                    0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04})              // ignored
    b.push_back(x);
  b[3] = static_cast<uint8_t>(b.size() - 20);
  auto r = tstun::decode_request(b);
  REQUIRE(r);
  CHECK_FALSE(r->change_ip);
  CHECK(r->change_port);
}

TEST_CASE("stun server: answers from the address asked for, names its other one, keeps budgets") {
  skywire::io::io_runtime io{1};
  svc::stun_server_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = 0;
  cfg.other_host = "127.0.0.2";
  cfg.other_port = 0;
  cfg.budget.burst = 5;
  cfg.budget.per_minute = 1;
  auto s = svc::stun_server::open(io.context(), cfg);
  REQUIRE(s);
  auto& srv = **s;
  REQUIRE(srv.other());
  CHECK(srv.other()->address().to_string() == "127.0.0.2");
  CHECK(srv.other()->port() != srv.primary().port());
  auto client = at("198.51.100.7", 40000);
  struct want {
    bool ci, cp;
    int ip, port;
  };
  // received at (0, 1): the primary IP's alternate port
  for (auto w : {want{false, false, 0, 1}, {true, false, 1, 1}, {false, true, 0, 0},
                 {true, true, 1, 0}}) {
    auto rep = srv.answer(0, 1, client, tstun::encode_request(tid(3), w.ci, w.cp));
    REQUIRE(rep);
    CHECK(rep->ip == w.ip);
    CHECK(rep->port == w.port);
    auto res = tstun::decode_response(rep->bytes);
    REQUIRE(res);
    CHECK(res->id == tid(3));
    CHECK(res->mapped == client);
    REQUIRE(res->other);
    // the other address of (0, 1) is (1, 0)
    CHECK(res->other->address().to_string() == "127.0.0.2");
    CHECK(res->other->port() == srv.primary().port());
    CHECK(rep->bytes.size() <= 3 * 28); // no amplification beyond a few times
  }
  // garbage: no answer, no budget spent
  std::vector<uint8_t> junk(40, 0xAB);
  CHECK_FALSE(srv.answer(0, 0, client, junk));
  CHECK(srv.stats().malformed == 1);
  // the fifth answer was the last of the burst
  CHECK(srv.answer(0, 0, client, tstun::encode_request(tid(4))));
  CHECK_FALSE(srv.answer(0, 0, client, tstun::encode_request(tid(5))));
  CHECK(srv.stats().over_budget == 1);
  // another source has its own budget
  CHECK(srv.answer(0, 0, at("198.51.100.8", 1), tstun::encode_request(tid(6))));
  CHECK(srv.stats().answered == 6);
  CHECK(srv.stats().changed == 3);

  // one address only: change requests get no answer (it would mislead)
  svc::stun_server_config one;
  one.host = "127.0.0.1";
  one.port = 0;
  auto s1 = svc::stun_server::open(io.context(), one);
  REQUIRE(s1);
  CHECK_FALSE((*s1)->other());
  auto plain = (*s1)->answer(0, 0, client, tstun::encode_request(tid(8)));
  REQUIRE(plain);
  auto res = tstun::decode_response(plain->bytes);
  REQUIRE(res);
  CHECK_FALSE(res->other);
  CHECK_FALSE((*s1)->answer(0, 0, client, tstun::encode_request(tid(9), true, false)));
  CHECK((*s1)->stats().unanswerable == 1);

  // refused configurations
  auto bad = cfg;
  bad.host = "0.0.0.0";
  CHECK_FALSE(svc::stun_server::open(io.context(), bad));
  bad = cfg;
  bad.other_host = "127.0.0.1";
  CHECK_FALSE(svc::stun_server::open(io.context(), bad));
  bad = cfg;
  bad.other_host = "::1";
  CHECK_FALSE(svc::stun_server::open(io.context(), bad));
}

TEST_CASE("stun server: a NAT-type probe from a sudph socket on the loopback finds no NAT") {
  skywire::io::io_runtime io{1};
  auto& ctx = io.context();
  svc::stun_server_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = 0;
  cfg.other_host = "127.0.0.2";
  cfg.other_port = 0;
  auto s = svc::stun_server::open(ctx, cfg);
  REQUIRE(s);
  auto& srv = **s;
  auto sock = tp::sudph_socket::open(ctx, "127.0.0.1", 0);
  REQUIRE(sock);
  events ev;
  bool done = false;
  tp::nat_type type = tp::nat_type::unknown;
  std::optional<udp::endpoint> mapped;
  std::shared_ptr<tp::sudph_stun> probe;
  on_shard(ctx, [&] {
    srv.start();
    (*sock)->start(nullptr);
    probe = tp::sudph_stun::make(*sock, srv.primary(), {},
                                 [&](tp::nat_type t, std::optional<udp::endpoint> m) {
                                   ev.change([&] {
                                     done = true;
                                     type = t;
                                     mapped = m;
                                   });
                                 });
    probe->start();
  });
  REQUIRE(ev.wait([&] { return done; }));
  CHECK(type == tp::nat_type::open_internet);
  CHECK(mapped == (*sock)->local_endpoint());
  CHECK(srv.stats().answered == 2); // Test I, Test II from the other IP and port
  CHECK(srv.stats().changed == 1);
  on_shard(ctx, [&] {
    (*sock)->close();
    srv.close();
  });
}
