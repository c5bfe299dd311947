// A real transport between two visors for the simulations: two
// transport_links (actors/transport: handshake, Noise KK, routing packets)
// over a simulated link (sim_link.hpp), brought up on the virtual clock as
// the transport manager would (the responder's settlement completed).
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <utility>

#include "actors/transport/transport_link.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "tests/sim/sim_link.hpp"

namespace skywire::sim {

struct sim_transport {
  transport_id id;
  transport::transport_link_ptr a, b; ///< the initiator's end, the responder's
  std::shared_ptr<sim_link> la, lb;   ///< the simulated link under each
};

/// Brings up an stcpr transport from `a` (initiator) to `b` over a simulated
/// stream link with the faults given per direction.
inline sim_transport join_transport(network& net, const crypto::keypair& a,
                                    const crypto::keypair& b, faults a_to_b = {},
                                    faults b_to_a = {}) {
  namespace tp = skywire::transport;
  auto [la, lb] = sim_link::make_pair(net, a_to_b, b_to_a);
  tp::transport_core::params pa;
  pa.role = tp::transport_role::initiator;
  pa.type = "stcpr";
  pa.local = a;
  pa.remote = b.pk;
  pa.local_port = port{49152};
  tp::transport_core::params pb;
  pb.role = tp::transport_role::responder;
  pb.type = "stcpr";
  pb.local = b;
  auto ka = tp::transport_link::make(std::move(pa), caf::actor{});
  auto kb = tp::transport_link::make(std::move(pb), caf::actor{});
  REQUIRE(ka);
  REQUIRE(kb);
  auto lka = *ka;
  auto lkb = *kb;
  lka->start(la);
  lkb->start(lb);
  // the responder waits for its registration (the manager's): complete it
  REQUIRE(net.run_until([&] { return lkb->phase() == tp::link_phase::deciding; },
                        std::chrono::seconds{30}));
  lkb->complete_settlement(true);
  REQUIRE(net.run_until([&] { return lka->is_up() && lkb->is_up(); }, std::chrono::seconds{30}));
  return {crypto::make_transport_id(a.pk, b.pk, "stcpr"), lka, lkb, la, lb};
}

} // namespace skywire::sim
