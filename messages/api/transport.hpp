// The control surface of the transports of one visor: the transport manager
// (actors/transport/manager) and one actor per transport
// (actors/transport/transport_actor). Local messages only.
//
// The bytes of a transport never cross a mailbox (docs/architecture.md, "the
// data path"): the link runs on its io shard; these actors steer it.
//
// Manager (api::transport_manager_actor):
//   request(m, T, tp_types_atom)                  -> vector<string>
//       the types this visor can dial, in the reference's preference order
//       (stcpr, sudph, dmsg, stcp), the enabled ones only
//   request(m, T, tp_list_atom, transport_filter) -> vector<transport_summary>
//   request(m, T, tp_get_atom, transport_id)      -> transport_summary | error
//   request(m, T, tp_add_atom, transport_request) -> transport_summary | error
//       dials (or returns the transport that exists for (pk, type)); the
//       answer comes once the transport is up (settled) or failed
//   request(m, T, tp_remove_atom, transport_id)   -> ok_atom once closed here
//   request(m, T, tp_remove_all_atom)             -> uint64_t (how many closed)
//   request(m, T, tp_disc_id_atom, transport_id)  -> vector<transport_entry>
//   request(m, T, tp_disc_pk_atom, public_key)    -> vector<transport_entry>
//       what the transport discovery holds (by ID, by edge)
//   request(m, T, tp_ping_atom, transport_id)     -> uint64_t round trip in µs
//       a Ping routing packet on route 0 of the transport, answered by the
//       peer's Pong (a diagnostic of ours, not the reference's route ping)
//   anon_send(m, tp_subscribe_atom, caf::actor s) s receives the events below
//                                                 until it terminates
//
// Events, manager -> subscriber (an untyped caf::actor: test drivers, the
// visor's later event broadcaster, the router):
//   (tp_up_atom, transport_summary)               a transport is up (also
//                                                 after its connection was
//                                                 replaced by a duplicate)
//   (tp_down_atom, transport_summary, caf::error) an up transport ended; the
//                                                 error says why (transport_errc
//                                                 of actors/transport/errors.hpp:
//                                                 closed, peer_closed, cut,
//                                                 peer_silent, ...)
//   (tp_error_atom, public_key, string type, caf::error)
//                                                 a dial never came up
//
// One transport (api::transport_actor):
//   request(t, T, tp_stats_atom)  -> transport_summary
//   request(t, T, tp_ping_atom)   -> uint64_t round trip in µs
//   anon_send(t, close_atom)         graceful close; the transport reports
//                                    down to the manager, deregisters, quits
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/api/link.hpp"
#include "messages/ids.hpp"

namespace skywire::api {

using tp_types_atom = caf::atom_constant<caf::atom("tp_types")>;
using tp_list_atom = caf::atom_constant<caf::atom("tp_list")>;
using tp_get_atom = caf::atom_constant<caf::atom("tp_get")>;
using tp_add_atom = caf::atom_constant<caf::atom("tp_add")>;
using tp_remove_atom = caf::atom_constant<caf::atom("tp_rm")>;
using tp_remove_all_atom = caf::atom_constant<caf::atom("tp_rm_all")>;
using tp_disc_id_atom = caf::atom_constant<caf::atom("tp_disc_id")>;
using tp_disc_pk_atom = caf::atom_constant<caf::atom("tp_disc_pk")>;
using tp_ping_atom = caf::atom_constant<caf::atom("tp_ping")>;
using tp_stats_atom = caf::atom_constant<caf::atom("tp_stats")>;
using tp_subscribe_atom = caf::atom_constant<caf::atom("tp_sub")>;
using tp_up_atom = caf::atom_constant<caf::atom("tp_up")>;
using tp_down_atom = caf::atom_constant<caf::atom("tp_down")>;
using tp_error_atom = caf::atom_constant<caf::atom("tp_error")>;
// close_atom: messages/api/link.hpp; ok_atom: messages/api/dmsg.hpp
using tp_ok_atom = caf::atom_constant<caf::atom("ok")>;

/// One transport as the CLI shows it (the reference's TransportSummary plus
/// what we know about the connection).
struct transport_summary {
  transport_id id;
  public_key local_pk;
  public_key remote_pk;
  std::string type;
  std::string label = "user"; ///< user | automatic | skycoin
  std::string state;          ///< dialing | settling | up | closing
  std::string role;           ///< initiator | responder ("" while dialing)
  std::string remote_addr;    ///< ip:port of the underlying connection
  uint64_t recv = 0;          ///< routing payload bytes received (§3.8)
  uint64_t sent = 0;          ///< routing payload bytes sent
  uint64_t wire_in = 0;       ///< every byte read from the connection
  uint64_t wire_out = 0;      ///< every byte written to it
  uint64_t up_seconds = 0;    ///< since the current connection came up
  bool is_setup = false;      ///< the reference's field; always false here
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_summary& x) {
  return f(caf::meta::type_name("skywire::api::transport_summary"), x.id, x.local_pk, x.remote_pk,
           x.type, x.label, x.state, x.role, x.remote_addr, x.recv, x.sent, x.wire_in, x.wire_out,
           x.up_seconds, x.is_setup);
}

/// Which transports a list shows (empty = all), as the reference's
/// Transports(FilterTypes, FilterPubKeys).
struct transport_filter {
  std::vector<std::string> types;
  std::vector<public_key> pks;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_filter& x) {
  return f(caf::meta::type_name("skywire::api::transport_filter"), x.types, x.pks);
}

/// A transport to add: the reference's AddTransport(RemotePK, TpType, Timeout).
struct transport_request {
  public_key remote;
  std::string type;
  std::string label = "user";
  uint64_t timeout_ms = 0; ///< 0: the manager's dial deadline
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_request& x) {
  return f(caf::meta::type_name("skywire::api::transport_request"), x.remote, x.type, x.label,
           x.timeout_ms);
}

/// An entry of the transport discovery (reference §3.7).
struct transport_entry {
  transport_id id;
  public_key edge_a; ///< the lower edge
  public_key edge_b;
  std::string type;
  std::string label;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transport_entry& x) {
  return f(caf::meta::type_name("skywire::api::transport_entry"), x.id, x.edge_a, x.edge_b, x.type,
           x.label);
}

/// What the CLI and other actors may ask the manager (the visor forwards the
/// CLI's transport requests with this face).
using transport_control_actor = caf::typed_actor<
  caf::replies_to<tp_types_atom>::with<std::vector<std::string>>,
  caf::replies_to<tp_list_atom, transport_filter>::with<std::vector<transport_summary>>,
  caf::replies_to<tp_get_atom, transport_id>::with<transport_summary>,
  caf::replies_to<tp_add_atom, transport_request>::with<transport_summary>,
  caf::replies_to<tp_remove_atom, transport_id>::with<tp_ok_atom>,
  caf::replies_to<tp_remove_all_atom>::with<uint64_t>,
  caf::replies_to<tp_disc_id_atom, transport_id>::with<std::vector<transport_entry>>,
  caf::replies_to<tp_disc_pk_atom, public_key>::with<std::vector<transport_entry>>,
  caf::replies_to<tp_ping_atom, transport_id>::with<uint64_t>>;

/// The manager: control plus event subscription.
using transport_manager_actor =
  transport_control_actor::extend<caf::reacts_to<tp_subscribe_atom, caf::actor>>;

/// One transport.
using transport_actor =
  caf::typed_actor<caf::replies_to<tp_stats_atom>::with<transport_summary>,
                   caf::replies_to<tp_ping_atom>::with<uint64_t>, caf::reacts_to<close_atom>>;

} // namespace skywire::api
