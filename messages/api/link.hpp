// The control surface of a link: one connection of a transport to a peer that
// carries streams (a dmsg session to a dmsg server is the first; transports
// and route groups follow the same shape). Local messages only.
//
// The bytes of a link never cross a mailbox (docs/architecture.md, "the data
// path"); its actor is the control surface:
//
//   owner -> link  request(link, T, open_atom, Args...) -> Opened | error
//                  open a stream on the link (what Args and Opened are depends
//                  on the transport: a dmsg session takes (local, remote) and
//                  answers api::stream_opened, see messages/api/dmsg.hpp)
//   owner -> link  (close_atom)                 close the link; it reports
//                                               link_down_atom, then quits
//   any   -> link  request(link, T, link_stats_atom) -> link_stats
//
// Events, link -> owner (the owner implements link_owner_actor):
//   (link_up_atom, public_key peer)               the link is established
//   (link_down_atom, public_key peer, error)      an established link was lost
//                                                 or closed; the actor quits
//   (link_error_atom, public_key peer, error)     the link could not be
//                                                 established (connect or
//                                                 handshake failed, timeout);
//                                                 the actor quits
// Exactly one of link_down_atom / link_error_atom ends a link's life.
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/ids.hpp"

namespace skywire::api {

using open_atom = caf::atom_constant<caf::atom("open")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using link_stats_atom = caf::atom_constant<caf::atom("lnk_stats")>;
using link_up_atom = caf::atom_constant<caf::atom("lnk_up")>;
using link_down_atom = caf::atom_constant<caf::atom("lnk_down")>;
using link_error_atom = caf::atom_constant<caf::atom("lnk_err")>;

/// Figures of one link (a snapshot).
struct link_stats {
  public_key peer;
  std::string address;       ///< the peer's transport address (host:port)
  std::string state;         ///< "connecting" | "up" | "closed"
  uint32_t streams = 0;      ///< open streams
  uint64_t bytes_in = 0;     ///< bytes read from the connection
  uint64_t bytes_out = 0;    ///< bytes written to the connection
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_stats& x) {
  return f(caf::meta::type_name("skywire::api::link_stats"), x.peer, x.address, x.state,
           x.streams, x.bytes_in, x.bytes_out);
}

/// What a link reports to its owner.
using link_owner_actor =
  caf::typed_actor<caf::reacts_to<link_up_atom, public_key>,
                   caf::reacts_to<link_down_atom, public_key, caf::error>,
                   caf::reacts_to<link_error_atom, public_key, caf::error>>;

/// The control interface of a link whose open takes OpenArgs... and answers
/// Opened (the stream handle and its addresses).
template <class Opened, class... OpenArgs>
using link_actor =
  caf::typed_actor<typename caf::replies_to<open_atom, OpenArgs...>::template with<Opened>,
                   caf::reacts_to<close_atom>,
                   caf::replies_to<link_stats_atom>::with<link_stats>>;

} // namespace skywire::api
