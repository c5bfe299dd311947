// A route between two route group cores for the simulations: 0-3 forwarding
// hops over simulated datagram links (tests/sim/sim_link.hpp); each transport
// carries one routing packet per datagram; a forwarding hop decodes the
// packet, rewrites its route id and sends it on, as a transit router does
// (never decrypting).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>

#include "actors/routing/route_group_core.hpp"
#include "messages/wire/routing/packet.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/sim/sim_link.hpp"

namespace rg_sim {

using namespace skywire;
using namespace skywire::routing;
using namespace std::chrono_literals;
using skywire::sim::faults;
using skywire::sim::network;
using skywire::sim::sim_link;
namespace wr = skywire::wire::routing;
using core = route_group_core;


inline crypto::keypair identity(std::string_view seed) {
  return crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

inline const auto alice_id = identity("alice");
inline const auto bob_id = identity("bob");

inline byte_buffer pattern(size_t n, uint8_t seed) {
  byte_buffer b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x = x * 1103515245u + 12345u;
    c = static_cast<uint8_t>(x >> 16);
  }
  return b;
}

/// One endpoint: a core plus what it received and reported.
struct endpoint {
  std::shared_ptr<core> c;
  byte_buffer got;
  std::vector<core::event> events;
  caf::error last_err;
  bool auto_consume = true;
  std::vector<bool> pressure;

  bool has(core::event e) const {
    return std::find(events.begin(), events.end(), e) != events.end();
  }
};

/// A route between two endpoints through `hops` forwarding visors; link i
/// joins node i and node i+1 (node 0 = alice, node hops+1 = bob).
struct route {
  network net;
  std::vector<std::pair<std::shared_ptr<sim_link>, std::shared_ptr<sim_link>>> links;
  std::vector<std::vector<std::pair<std::shared_ptr<sim_link>, std::shared_ptr<sim_link>>>> extra;
  endpoint a, b;
  std::vector<size_t> sizes_on_link0; ///< routing packet sizes alice's transport carried
  uint64_t rewrites = 0;
  size_t generation = 0; ///< replace_path() builds a new set of links

  explicit route(uint64_t seed = 7) : net(seed) {}

  core::config cfg(core::role side, wr::group_options offer = {}) {
    core::config c;
    c.side = side;
    c.local = side == core::role::initiator ? alice_id : bob_id;
    c.remote = side == core::role::initiator ? bob_id.pk : alice_id.pk;
    c.forward_rid = route_id{side == core::role::initiator ? 1u : 2u};
    c.offer = offer;
    c.clock = [this] { return net.now(); };
    return c;
  }

  /// The writer of a node's first link (side a writes link 0's first end,
  /// side b the last link's second end); chain 0 = `links`, k > 0 = extra[k-1].
  core::write_fn writer(bool alice_side, size_t chain = 0) {
    auto gen = generation;
    return [this, alice_side, gen, chain](wr::packet_type t, route_id rid, byte_span payload) {
      if (gen != generation)
        return core::send_status::failed;
      byte_buffer out;
      if (wr::encode(out, t, rid, payload))
        return core::send_status::failed;
      if (alice_side && chain == 0)
        sizes_on_link0.push_back(out.size());
      auto& ls = chain == 0 ? links : extra[chain - 1];
      auto& l = alice_side ? ls.front().first : ls.back().second;
      return l->write(std::move(out)) ? core::send_status::ok : core::send_status::failed;
    };
  }

  void receive(endpoint& e, byte_buffer&& bytes, size_t gen) {
    if (gen != generation)
      return; // a packet of a torn-down path
    auto p = wr::decode_packet({bytes.data(), bytes.size()});
    REQUIRE(p);
    if (e.c)
      e.c->on_packet(*p);
  }

  using chain = std::vector<std::pair<std::shared_ptr<sim_link>, std::shared_ptr<sim_link>>>;

  /// Builds hops+1 datagram links with the given faults on every direction.
  void build(size_t hops, faults f = {}) {
    ++generation;
    extra.clear();
    links = make_chain(hops, f);
  }

  /// One more disjoint path between the same two endpoints (multipath).
  void build_extra(size_t hops, faults f = {}) { extra.push_back(make_chain(hops, f)); }

  chain make_chain(size_t hops, faults f) {
    chain links;
    for (size_t i = 0; i <= hops; ++i)
      links.push_back(sim_link::make_datagram_pair(net, f, f));
    for (size_t i = 0; i <= hops; ++i) {
      auto& [left, right] = links[i];
      // the left end of link i belongs to node i
      auto gen = generation;
      if (i == 0)
        listen(left, [this, gen](io::byte_buffer&& b) { receive(a, std::move(b), gen); });
      else
        listen(left, [this, to = std::weak_ptr<sim_link>{links[i - 1].second}](io::byte_buffer&& b) {
          forward(to, std::move(b));
        });
      if (i == hops)
        listen(right, [this, gen](io::byte_buffer&& b) { receive(this->b, std::move(b), gen); });
      else
        listen(right, [this, to = std::weak_ptr<sim_link>{links[i + 1].first}](io::byte_buffer&& b) {
          forward(to, std::move(b));
        });
    }
    return links;
  }

  static void listen(const std::shared_ptr<sim_link>& l,
                     std::function<void(io::byte_buffer&&)> on_data) {
    io::byte_link::callbacks cbs;
    cbs.on_data = std::move(on_data);
    cbs.on_closed = [](const boost::system::error_code&) {};
    l->start(std::move(cbs), 64 * 1024);
  }

  /// A transit visor: the route id rewritten, the payload untouched.
  void forward(const std::weak_ptr<sim_link>& next, byte_buffer&& bytes) {
    auto to = next.lock();
    if (!to)
      return;
    auto p = wr::decode_packet({bytes.data(), bytes.size()});
    REQUIRE(p);
    byte_buffer out;
    REQUIRE_FALSE(wr::encode(out, p->type, route_id{p->rid.value + 1000}, p->payload));
    ++rewrites;
    to->write(std::move(out));
  }

  void attach(endpoint& e) {
    e.c->set_sink([&e](byte_buffer&& b) {
      e.got.insert(e.got.end(), b.begin(), b.end());
      if (e.auto_consume)
        e.c->consumed(b.size());
    });
    e.c->set_event_fn([&e](core::event ev, const caf::error& err) {
      e.events.push_back(ev);
      e.last_err = err;
    });
    e.c->set_pressure_fn([&e](bool on) { e.pressure.push_back(on); });
  }

  void make(size_t hops, faults f = {}, wr::group_options offer_a = {},
            wr::group_options offer_b = {}) {
    build(hops, f);
    a.c = std::make_shared<core>(cfg(core::role::initiator, offer_a), net, writer(true));
    b.c = std::make_shared<core>(cfg(core::role::responder, offer_b), net, writer(false));
    attach(a);
    attach(b);
  }

  bool established() {
    return a.c->current_phase() == core::phase::established
           && b.c->current_phase() == core::phase::established;
  }

  void start_and_establish() {
    b.c->start();
    a.c->start();
    REQUIRE(net.run_until([&] { return established(); }, 10s));
  }

  /// Writes all of data from e, waiting whenever the send queue is full.
  void send_all(endpoint& e, const byte_buffer& data, size_t step = 3000) {
    auto waited = 0ms;
    for (size_t off = 0; off < data.size();) {
      auto n = std::min(step, data.size() - off);
      auto r = e.c->write({data.data() + off, n});
      if (r == core::write_result::queue_full) {
        // bounded: a queue that never drains fails the test, not hangs it
        REQUIRE(waited < 600s);
        net.advance(10ms);
        waited += 10ms;
        continue;
      }
      REQUIRE(r == core::write_result::ok);
      off += n;
    }
  }
};


} // namespace rg_sim
