// The router on real transports: three transport managers in one process
// (A, B, C) over loopback TCP (stcp), each publishing its up transports'
// links into a link_directory; B runs the router's data plane over its
// directory. A route A -> B -> C: a packet A sends on transport A-B with
// B's route ID arrives at C on transport B-C with the next route ID, a
// Close deletes B's transit rule, and when B-C goes down the directory
// forgets it and B counts what it can no longer forward. Every wait is
// bounded.
#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "actors/routing/router_state.hpp"
#include "actors/transport/manager.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/actors/transport/tp_support.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "tests/actors/transport/manager_support.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace std::chrono_literals;
using tp_test::identity;
using namespace mgr_test;
namespace wr = skywire::wire::routing;
namespace tp = skywire::transport;

namespace {

/// What a sink saw, with a bounded wait.
struct inbox {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::pair<transport_id, wr::packet>> got;
  void push(const transport_id& from, const wr::packet_view& p) {
    {
      std::lock_guard<std::mutex> g{mtx};
      got.push_back({from, wr::packet{p.type, p.rid, {p.payload.begin(), p.payload.end()}}});
    }
    cv.notify_all();
  }
  bool wait(size_t n, std::chrono::milliseconds limit = 5s) {
    std::unique_lock<std::mutex> g{mtx};
    return cv.wait_for(g, limit, [&] { return got.size() >= n; });
  }
};

node_options& with_links(node_options& o) {
  o.links = std::make_shared<tp::link_directory>();
  return o;
}

/// Waits (bounded) until `n`'s directory holds `id` (or no longer does): the
/// directory reports no event, a poll.
bool directory_has(const node& n, const transport_id& id, bool want = true) {
  return skywire::test::eventually([&] { return (n.links->find(id) != nullptr) == want; }, 5s,
                                   10ms);
}

} // namespace

TEST_CASE("router over transport managers: A -> B -> C on loopback TCP, rewritten at B") {
  world w;
  node_options o;
  auto a = start_node(w, "router-a", with_links(o));
  auto b = start_node(w, "router-b", with_links(o));
  auto c = start_node(w, "router-c", with_links(o));
  routing::router_state rb{b.links};
  inbox at_a, at_c;
  a.links->set_sink([&](const transport_id& from, const wr::packet_view& p) { at_a.push(from, p); });
  c.links->set_sink([&](const transport_id& from, const wr::packet_view& p) { at_c.push(from, p); });

  auto ab = add(w, a, b.key.pk);
  REQUIRE_MESSAGE(ab, describe(ab.error()));
  auto bc = add(w, b, c.key.pk);
  REQUIRE_MESSAGE(bc, describe(bc.error()));
  // every up transport is in its managers' directories, on both sides
  REQUIRE(directory_has(a, ab->id));
  REQUIRE(directory_has(b, ab->id));
  REQUIRE(directory_has(b, bc->id));
  REQUIRE(directory_has(c, bc->id));

  // B: the setup node's intermediary rules, on IDs B reserved
  auto ids = rb.reserve_ids(2);
  REQUIRE(ids);
  auto fwd_key = (*ids)[0], back_key = (*ids)[1];
  REQUIRE_FALSE(rb.add_intermediary_rules(identity("setup").pk, {wr::make_intermediary_rule(30s, fwd_key, route_id{900}, bc->id),
                                                            wr::make_intermediary_rule(30s, back_key, route_id{800}, ab->id)}));

  // A -> B -> C and C -> B -> A
  std::vector<uint8_t> big(6000, 0x5a); // more than one Noise frame on each transport
  REQUIRE(a.links->send(ab->id, wr::packet_type::data, fwd_key, big) == tp::transport_core::write_result::ok);
  std::vector<uint8_t> small{1, 2, 3};
  REQUIRE(c.links->send(bc->id, wr::packet_type::data, back_key, small) == tp::transport_core::write_result::ok);
  REQUIRE(at_c.wait(1));
  REQUIRE(at_a.wait(1));
  CHECK(at_c.got[0].first == bc->id);
  CHECK(at_c.got[0].second.rid == route_id{900});
  CHECK(at_c.got[0].second.payload == big);
  CHECK(at_a.got[0].first == ab->id);
  CHECK(at_a.got[0].second.rid == route_id{800});
  CHECK(at_a.got[0].second.payload == small);
  CHECK(rb.core()->stats().forwarded == 2);

  // a Close goes through and B forgets the transit rule
  auto close = wr::make_close_packet(route_id{0}, wr::close_code::requested);
  REQUIRE(a.links->send(ab->id, wr::packet_type::close, fwd_key, close.payload) == tp::transport_core::write_result::ok);
  REQUIRE(at_c.wait(2));
  CHECK(at_c.got[1].second.type == wr::packet_type::close);
  CHECK(at_c.got[1].second.rid == route_id{900});
  CHECK_FALSE(rb.table()->get(fwd_key));

  // route 0 stays the transport's: a ping still answers through the manager
  auto rtt = ping(w, a, ab->id);
  CHECK_MESSAGE(rtt, describe(rtt.error()));
  CHECK(rb.core()->stats().unknown_route == 0);

  // B-C goes down: both directories forget it; what B would forward there is counted
  CHECK_FALSE(remove(w, c, bc->id));
  CHECK(directory_has(b, bc->id, false));
  CHECK(directory_has(c, bc->id, false));
  auto more = rb.reserve_ids(1);
  REQUIRE(more);
  REQUIRE_FALSE(rb.table()->install(wr::make_intermediary_rule(30s, (*more)[0], route_id{901}, bc->id)));
  REQUIRE(a.links->send(ab->id, wr::packet_type::data, (*more)[0], small) == tp::transport_core::write_result::ok);
  // the router's counters report no event: a bounded poll
  skywire::test::eventually([&] { return rb.core()->stats().no_transport != 0; }, 5s, 10ms);
  CHECK(rb.core()->stats().no_transport == 1);
  CHECK(at_c.got.size() == 2);
}
