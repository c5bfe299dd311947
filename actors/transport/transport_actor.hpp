// One transport (reference §3: a managed transport to one peer of one type),
// as a thin actor beside its connection(s): the links (transport_link.hpp)
// move the bytes on their io shards; this actor steers.
//
//  - dialing: asks the type's network for a connection, runs the
//    initiator's handshakes on it, within the dial deadline; a type with
//    several candidate addresses (sudph: network redial_delay()) is dialed
//    again, the next attempt, when a dialed connection ends before it is up;
//  - accepted: the manager hands it a link whose settlement entry verified;
//    the actor registers the doubly signed entry at the transport discovery
//    (the registrar; a 409 counts as done, any other failure is only
//    logged, as the reference) and then completes the settlement;
//  - a second connection of the same transport (a duplicate dial, a peer
//    that re-dialed) is settled by the reference's rule (registry.hpp:
//    resolve_duplicate): one of the two is closed, the transport stays up;
//  - while up, the responder (who holds both signatures) re-registers the
//    entry every reregister_every: our transport discovery expires entries
//    that are not refreshed (docs/protocol/transport-discovery.md);
//  - down: the current connection ended (the cause from transport_core: the
//    peer closed it, a cut, a silent peer, our close); the actor reports it
//    to the manager, closes what is left, deletes the entry from the
//    transport discovery (retried with back-off, at most 5 attempts; 404
//    counts as done) and quits.
//
// Typed: api::transport_actor (stats, ping, close) plus its private messages
// (transport_actor_interface below). Reports to the manager through
// transport_owner_actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include <caf/typed_event_based_actor.hpp>

#include "actors/dmsg/port_table.hpp"
#include "actors/transport/network.hpp"
#include "actors/transport/registrar.hpp"
#include "actors/transport/registry.hpp"
#include "actors/transport/transport_link.hpp"
#include "messages/api/transport.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::transport {

// transport actor -> manager
using mt_up_atom = caf::atom_constant<caf::atom("mt_up")>;
using mt_down_atom = caf::atom_constant<caf::atom("mt_down")>;
using mt_fail_atom = caf::atom_constant<caf::atom("mt_fail")>;
// manager -> transport actor: an accepted link of this transport
using mt_adopt_atom = caf::atom_constant<caf::atom("mt_adopt")>;
// the transport actor's own
using mt_dialed_atom = caf::atom_constant<caf::atom("mt_dialed")>;
using mt_regd_atom = caf::atom_constant<caf::atom("mt_regd")>;
using mt_dereg_atom = caf::atom_constant<caf::atom("mt_dereg")>;
using mt_deadline_atom = caf::atom_constant<caf::atom("mt_dline")>;
using mt_retry_atom = caf::atom_constant<caf::atom("mt_retry")>;
using mt_ping_to_atom = caf::atom_constant<caf::atom("mt_pingto")>;
using mt_rereg_atom = caf::atom_constant<caf::atom("mt_rereg")>;
using mt_redial_atom = caf::atom_constant<caf::atom("mt_redial")>;

/// A dial's result, from an io thread.
struct dial_result {
  caf::error err;
  io::byte_link_ptr link;
};

/// What a transport reports to its manager:
///   (mt_up_atom, id, link)    up, or its carrying connection replaced
///   (mt_down_atom, id, err)   an up transport ended (the actor now
///                             deregisters it and quits)
///   (mt_fail_atom, id, err)   it never came up (the actor quits)
using transport_owner_actor =
  caf::typed_actor<caf::reacts_to<mt_up_atom, transport_id, transport_link_ptr>,
                   caf::reacts_to<mt_down_atom, transport_id, caf::error>,
                   caf::reacts_to<mt_fail_atom, transport_id, caf::error>>;

using transport_actor_interface = api::transport_actor::extend<
  caf::reacts_to<mt_adopt_atom, transport_link_ptr>, caf::reacts_to<lk_up_atom, transport_link_ptr>,
  caf::reacts_to<lk_down_atom, transport_link_ptr, caf::error>,
  caf::reacts_to<lk_pong_atom, transport_link_ptr, uint64_t>,
  caf::reacts_to<mt_dialed_atom, dial_result>,
  caf::reacts_to<mt_regd_atom, transport_link_ptr, caf::error>,
  caf::reacts_to<mt_dereg_atom, caf::error>, caf::reacts_to<mt_deadline_atom>,
  caf::reacts_to<mt_retry_atom>, caf::reacts_to<mt_ping_to_atom, uint64_t>,
  caf::reacts_to<mt_rereg_atom>, caf::reacts_to<mt_redial_atom>>;

struct transport_actor_params {
  transport_owner_actor manager;
  crypto::keypair local;
  public_key remote;
  std::string type;
  std::string label = "user";
  transport_network_ptr network; ///< the type; dials through it
  registrar_ptr registrar;       ///< null: nothing registered
  bool dial = false;             ///< dial at start (else: accepted links come as mt_adopt)
  port local_port{49152};        ///< the initiator's SrcAddr port (ephemeral)
  std::chrono::milliseconds dial_timeout{20'000};
  transport_core::timeouts limits;
  unsigned deregister_attempts = 5;
  /// The responder re-posts the doubly signed entry this often while the
  /// transport is up (our discovery expires entries; 0 = never, as the
  /// reference).
  std::chrono::milliseconds reregister_every{180'000};
  std::chrono::milliseconds ping_timeout{5'000};
};

class transport_actor_impl : public transport_actor_interface::base {
public:
  transport_actor_impl(caf::actor_config& cfg, transport_actor_params p);

  behavior_type make_behavior() override;
  void on_exit() override;
  const char* name() const override { return "transport"; }

private:
  void start_dial();
  void on_dialed(dial_result& r);
  void adopt(const transport_link_ptr& link);
  void on_link_up(const transport_link_ptr& link);
  void on_link_down(const transport_link_ptr& link, const caf::error& err);
  void go_down(const caf::error& err);
  void maybe_fail();
  /// A dialed link ended before it was up: dial again if the type asks so.
  bool maybe_redial(const transport_link_ptr& link);
  void fail(const caf::error& err);
  void deregister();
  void arm_reregister();
  void close_all_links(const caf::error& why, bool graceful);
  api::transport_summary summary() const;
  const char* state_text() const;
  bool known(const transport_link_ptr& link) const { return link && links_.count(link->id()) > 0; }

  struct pending_ping {
    caf::response_promise rp;
    std::chrono::steady_clock::time_point sent;
  };

  transport_actor_params p_;
  transport_id id_;
  underlay under_;
  std::unordered_map<uint64_t, transport_link_ptr> links_;
  transport_link_ptr current_;
  bool dialing_ = false;
  bool redial_armed_ = false; ///< a redial is scheduled
  unsigned attempt_ = 0;      ///< dials so far
  bool down_ = false;    ///< went down (deregistering)
  bool done_ = false;    ///< reported its end (down or fail)
  bool closing_ = false; ///< close requested
  caf::error close_reason_; ///< why close was requested (the down cause then)
  bool rereg_armed_ = false;
  caf::error last_error_;
  unsigned dereg_attempts_ = 0;
  dmsg::backoff dereg_delay_{500, 2, 4000};
  uint64_t next_nonce_ = 1;
  std::map<uint64_t, pending_ping> pings_;
};

/// Spawns a transport actor (monitored by the manager).
transport_actor_interface spawn_transport_actor(caf::actor_system& sys, transport_actor_params p);

} // namespace skywire::transport

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::transport::dial_result)
