// The STUN codec and the NAT-type decision procedure, against a scripted
// server and NAT: every outcome of the classic behaviour tests, and hostile
// bytes refused as values.
#include <doctest/doctest.h>

#include <random>

#include "actors/transport/stun_probe.hpp"

namespace tp = skywire::transport;
namespace stun = skywire::transport::stun;
using ep = boost::asio::ip::udp::endpoint;

namespace {

ep at(const char* ip, uint16_t port) {
  return {boost::asio::ip::make_address(ip), port};
}

const ep server = at("198.51.100.1", 3478);
const ep other = at("198.51.100.2", 3479);
const ep local = at("192.168.1.2", 5000);
const ep mapped = at("203.0.113.5", 6000);

std::function<stun::transaction_id()> counter_ids() {
  auto n = std::make_shared<uint8_t>(0);
  return [n] {
    stun::transaction_id id{};
    id.fill(++*n);
    return id;
  };
}

stun::transaction_id id_of(const std::vector<uint8_t>& request) {
  stun::transaction_id id{};
  std::copy(request.begin() + 8, request.begin() + 20, id.begin());
  return id;
}

bool asks_change_ip(const std::vector<uint8_t>& r) {
  return r.size() == 28 && (r[27] & 0x04) != 0;
}
bool asks_change_port(const std::vector<uint8_t>& r) {
  return r.size() == 28 && (r[27] & 0x02) != 0;
}

/// A NAT in front of `local` and a STUN server with two addresses.
struct scenario {
  bool blocked = false;           ///< nothing comes back at all
  bool nat = true;                ///< false: mapped == local
  bool filter_ip = true;          ///< answers from another IP are dropped
  bool filter_port = true;        ///< answers from another port are dropped
  bool per_destination = false;   ///< symmetric: another mapping per destination
  bool server_knows_other = true;
};

tp::nat_type run(const scenario& s) {
  tp::nat_probe probe{server, local, counter_ids()};
  for (int steps = 0; steps < 10 && !probe.finished(); ++steps) {
    auto req = probe.next();
    REQUIRE(req);
    bool cip = asks_change_ip(req->datagram), cport = asks_change_port(req->datagram);
    auto base = req->to == other ? other : server;
    auto from = ep{cip ? (base == server ? other : server).address() : base.address(),
                   static_cast<uint16_t>(cport ? base.port() + 1 : base.port())};
    bool dropped = s.blocked || (s.nat && cip && s.filter_ip) || (s.nat && cport && s.filter_port);
    if (dropped) {
      probe.on_no_answer();
      continue;
    }
    stun::response r;
    r.id = id_of(req->datagram);
    r.mapped = !s.nat ? local : (s.per_destination && req->to == other ? at("203.0.113.5", 6001)
                                                                       : mapped);
    if (s.server_knows_other)
      r.other = other;
    CHECK(probe.on_datagram(from, stun::encode_response(r)));
  }
  REQUIRE(probe.finished());
  CHECK_FALSE(probe.next());
  return probe.result();
}

} // namespace

TEST_CASE("stun: binding requests and responses, XOR and plain, v4 and v6") {
  stun::transaction_id id{};
  id.fill(7);
  auto req = stun::encode_request(id);
  CHECK(req.size() == 20);
  CHECK(req[0] == 0x00);
  CHECK(req[1] == 0x01);
  CHECK(stun::encode_request(id, true, true).size() == 28);
  for (bool xored : {true, false})
    for (auto m : {mapped, at("2001:db8::5", 6000)}) {
      stun::response r{id, m, other};
      auto d = stun::decode_response(stun::encode_response(r, xored));
      REQUIRE(d);
      CHECK(d->id == id);
      CHECK(d->mapped == m);
      CHECK(d->other == other);
    }
}

TEST_CASE("stun: hostile responses are refused as values") {
  stun::transaction_id id{};
  auto good = stun::encode_response({id, mapped, std::nullopt});
  CHECK_FALSE(stun::decode_response({good.data(), 19}));
  auto bad_len = good;
  bad_len[3] += 4;
  CHECK_FALSE(stun::decode_response(bad_len));
  auto request = stun::encode_request(id);
  CHECK_FALSE(stun::decode_response(request)); // not a response
  auto no_mapped = stun::encode_request(id);
  no_mapped[1] = 0x01;
  no_mapped[0] = 0x01;
  CHECK_FALSE(stun::decode_response(no_mapped));
  auto family = good;
  family[25] = 9; // the address family byte
  CHECK_FALSE(stun::decode_response(family));
  std::mt19937 rng{5};
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> junk(rng() % 80);
    for (auto& b : junk)
      b = static_cast<uint8_t>(rng());
    if (junk.size() >= 4 && (i % 2) == 0) { // a plausible header, random attributes
      junk[0] = 0x01;
      junk[1] = 0x01;
      junk[2] = 0;
      junk[3] = static_cast<uint8_t>((junk.size() - std::min<size_t>(junk.size(), 20)) & ~3u);
    }
    static_cast<void>(stun::decode_response(junk)); // never throws, never reads out of bounds
  }
}

TEST_CASE("stun: the NAT type of every scripted network") {
  CHECK(run({.blocked = true}) == tp::nat_type::udp_blocked);
  CHECK(run({.nat = false}) == tp::nat_type::open_internet); // no filter on a host without NAT
  // a host without NAT behind a firewall that drops the changed answers
  {
    tp::nat_probe probe{server, local, counter_ids()};
    auto r1 = probe.next();
    REQUIRE(r1);
    CHECK(probe.on_datagram(server, stun::encode_response({id_of(r1->datagram), local, other})));
    auto r2 = probe.next();
    REQUIRE(r2);
    CHECK(asks_change_ip(r2->datagram));
    // the server ignored the change request: not an answer to Test II
    CHECK_FALSE(
      probe.on_datagram(server, stun::encode_response({id_of(r2->datagram), local, other})));
    probe.on_no_answer();
    CHECK(probe.result() == tp::nat_type::symmetric_udp_firewall);
  }
  CHECK(run({.filter_ip = false, .filter_port = false}) == tp::nat_type::full_cone);
  CHECK(run({.filter_ip = true, .filter_port = false}) == tp::nat_type::restricted);
  CHECK(run({}) == tp::nat_type::port_restricted);
  CHECK(run({.per_destination = true}) == tp::nat_type::symmetric);
  CHECK(run({.server_knows_other = false}) == tp::nat_type::unknown);
  CHECK_FALSE(tp::sudph_allowed(tp::nat_type::symmetric));
  CHECK_FALSE(tp::sudph_allowed(tp::nat_type::symmetric_udp_firewall));
  CHECK(tp::sudph_allowed(tp::nat_type::port_restricted));
  CHECK(tp::sudph_allowed(tp::nat_type::unknown));
}

TEST_CASE("stun: answers that are not the current request's are ignored") {
  tp::nat_probe probe{server, local, counter_ids()};
  auto r1 = probe.next();
  REQUIRE(r1);
  CHECK_FALSE(probe.next()); // once per step
  stun::transaction_id wrong{};
  wrong.fill(0xee);
  CHECK_FALSE(probe.on_datagram(server, stun::encode_response({wrong, mapped, other})));
  CHECK_FALSE(probe.on_datagram(server, std::vector<uint8_t>(30, 0x51)));
  CHECK(probe.on_datagram(server, stun::encode_response({id_of(r1->datagram), mapped, other})));
  CHECK(probe.mapped() == mapped);
  CHECK_FALSE(probe.finished());
}
