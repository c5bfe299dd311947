// The actor of the dmsg transport type (dmsg_network.hpp): the owner of the
// dmsg streams that carry transports and of the listener on dmsg port 45.
// Thin: the bytes go between the stream cores and the transport links on the
// dmsg sessions' io threads; this actor only sees each stream's start and
// end.
//
//  - (de_listen_atom, listen request): from now on, listen on port 45 of the
//    current dmsg client (client_ref), and again on every new client (a
//    failed listen, e.g. the port still held by a previous manager's
//    endpoint, is retried with back-off). An accepted stream passes
//    admission, its core is fetched (score_atom) and wrapped as a
//    dmsg_stream_link, which goes to the accept callback with the ticket.
//  - (de_dial_atom, dial request): a stream to pk:45 through the current
//    client, wrapped the same way, handed to the callback (or the error).
//  - Each stream's end (closed_atom, or the stream actor's exit) reaches its
//    link (on_stream_closed); when this actor ends, every link it still
//    holds is told its stream closed (the streams end with their owner).
//  - Bytes a stream delivers here (before its link took it) are out of turn
//    for a transport (the dialer speaks first, and no byte is read before
//    the link starts): the stream is closed and its dial fails.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/typed_actor.hpp>

#include "actors/transport/dmsg_network.hpp"

namespace skywire::transport {

struct dmsg_dial_request {
  public_key remote;
  transport_network::dial_fn cb;
};

struct dmsg_listen_request {
  transport_network::accept_fn on_accept;
};

using de_dial_atom = caf::atom_constant<caf::atom("de_dial")>;
using de_listen_atom = caf::atom_constant<caf::atom("de_listen")>;

/// What the network sends its endpoint.
using dmsg_endpoint_actor =
  caf::typed_actor<caf::reacts_to<de_dial_atom, dmsg_dial_request>,
                   caf::reacts_to<de_listen_atom, dmsg_listen_request>>;

/// Spawns the endpoint of one dmsg network (it watches cfg.client at once).
dmsg_endpoint_actor spawn_dmsg_endpoint(caf::actor_system& sys, dmsg_network_config cfg,
                               io::admission_ptr adm, std::shared_ptr<dmsg_network_status> st);

} // namespace skywire::transport

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::transport::dmsg_dial_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::transport::dmsg_listen_request)
