// The actor protocol of dmsg inside one process: the typed interfaces of the
// dmsg client actor, of a dmsg stream actor and of a dmsg session (a link,
// messages/api/link.hpp). Local messages only (never over BASP). The actors
// implement exactly these interfaces (plus private messages of their own, from
// their io threads and timers, declared beside each actor); handles are typed,
// so a message an actor does not accept is a compile error at the sender.
//
// Client actor (actors/dmsg/client, api::dmsg_client_actor):
//   request(client, T, dial_atom, address remote)            -> stream_opened | error
//   request(client, T, listen_atom, port p, caf::actor owner) -> ok_atom | error
//       every stream accepted on p reaches `owner` as (accept_atom, stream_opened)
//   anon_send(client, unlisten_atom, port p)
//   request(client, T, info_atom)                             -> client_info
//   request(client, T, ready_atom)  -> ok_atom once a session is up and the
//                                      entry is stored (waits up to T)
//   request(client, T, close_atom)  -> ok_atom once every session is closed and
//                                      the entry deleted; then the client quits
//   The actor also answers the supervisor's status request
//   (system::info_provider_actor, runtime/system/supervision.hpp).
//
// Session actor (actors/dmsg/session, api::dmsg_session_actor): the link
// interface of messages/api/link.hpp with open = (open_atom, address local,
// address remote) -> stream_opened; it reports link_up / link_down /
// link_error to the client (api::link_owner_actor).
//
// Stream actor (one per dmsg stream, end-to-end Noise KK inside, api::dmsg_stream_actor):
//   owner -> stream  (write_atom, byte_buffer)   bytes to send; the stream answers
//                                                 (ack_atom, uint64_t n) once n bytes left
//                                                 its send buffer (keep a bounded number
//                                                 of unacknowledged bytes in flight)
//   stream -> owner  (data_atom, byte_buffer)    received plaintext, in order, one
//                                                 message per socket read
//   owner -> stream  (consumed_atom, uint32_t n) the owner has processed n received bytes
//                                                 (opens the receive window again: this is
//                                                 the back-pressure path)
//   owner -> stream  (close_atom)                 close (FIN); stream then quits
//   stream -> owner  (closed_atom, caf::error)    the stream ended (none = clean close)
//   any   -> stream  (set_owner_atom, caf::actor) hand the stream to another owner; data
//                                                 buffered so far is delivered to it. An
//                                                 accepted stream holds received data until
//                                                 the first set_owner (the listener only
//                                                 gets the accept)
//   any   -> stream  request(stream, T, score_atom) -> stream_core_ptr: the stream's
//                                                 data path (actors/dmsg/stream_core.hpp),
//                                                 for consumers that read (set_sink) and
//                                                 write it directly, without an actor
//                                                 message per read or write (pipes, relays,
//                                                 echo); opaque without that header
//   Everything a stream sends to its owner (accept, data, ack, closed) has the
//   stream actor as sender (current_sender()), so one owner can serve many
//   streams; owners' handlers for them return nothing.
//
// Why owners and listeners stay `caf::actor`: the stream -> owner direction
// (accept, data, ack, closed) goes to whoever holds the stream: dmsg tools,
// pty sessions, the bench, tests, later apps. They are heterogeneous (each
// has its own control protocol besides these four messages), and the stream
// core on the io thread sends to them with send_as; a typed owner handle
// would force every owner into one interface (or make the stream core a
// template). The messages an owner receives are fixed above and owners
// handle them; the direction toward the actors (client, session, stream) is
// typed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <memory>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/api/link.hpp"
#include "messages/ids.hpp"

namespace skywire::dmsg {
class stream_core; // actors/dmsg/stream_core.hpp (the data path of one stream)
} // namespace skywire::dmsg

namespace skywire::api {

using byte_buffer = std::vector<uint8_t>;

using dial_atom = caf::atom_constant<caf::atom("dial")>;
using listen_atom = caf::atom_constant<caf::atom("listen")>;
using unlisten_atom = caf::atom_constant<caf::atom("unlisten")>;
using accept_atom = caf::atom_constant<caf::atom("accept")>;
using info_atom = caf::atom_constant<caf::atom("info")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using data_atom = caf::atom_constant<caf::atom("data")>;
using consumed_atom = caf::atom_constant<caf::atom("consumed")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using set_owner_atom = caf::atom_constant<caf::atom("set_owner")>;
using ok_atom = caf::atom_constant<caf::atom("ok")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using score_atom = caf::atom_constant<caf::atom("score")>;
// close_atom and open_atom: messages/api/link.hpp

/// The data path of one stream, shared with the io thread (the answer to
/// score_atom). Messages carrying it need actors/dmsg/stream_core.hpp, which
/// allows it as a (local-only) message type.
using stream_core_ptr = std::shared_ptr<dmsg::stream_core>;

/// A dmsg stream actor.
using dmsg_stream_actor =
  caf::typed_actor<caf::reacts_to<write_atom, byte_buffer>,
                   caf::reacts_to<consumed_atom, uint32_t>,
                   caf::reacts_to<close_atom>,
                   caf::reacts_to<set_owner_atom, caf::actor>,
                   caf::replies_to<score_atom>::with<stream_core_ptr>>;

/// A dmsg stream that has completed its handshake.
struct stream_opened {
  dmsg_stream_actor stream;
  address local;
  address remote;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_opened& x) {
  return f(caf::meta::type_name("skywire::api::stream_opened"), x.stream, x.local, x.remote);
}

/// One session from a dmsg client to a dmsg server.
struct session_info {
  public_key server;
  std::string server_address; ///< host:port
  std::string state;          ///< "connecting" | "up" | "backoff"
  uint32_t streams = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_info& x) {
  return f(caf::meta::type_name("skywire::api::session_info"), x.server, x.server_address,
           x.state, x.streams, x.bytes_in, x.bytes_out);
}

struct client_info {
  public_key pk;
  std::vector<session_info> sessions;
  std::vector<uint16_t> listening_ports;
  /// The last failure (discovery, session), for "why is there no session";
  /// none when nothing failed.
  caf::error last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_info& x) {
  return f(caf::meta::type_name("skywire::api::client_info"), x.pk, x.sessions,
           x.listening_ports, x.last_error);
}

/// A dmsg session (client -> dmsg server): a link whose streams are dmsg
/// streams; open = (open_atom, address local, address remote).
using dmsg_session_actor = link_actor<stream_opened, address, address>;

/// The dmsg client actor.
using dmsg_client_actor =
  caf::typed_actor<caf::replies_to<dial_atom, address>::with<stream_opened>,
                   caf::replies_to<listen_atom, port, caf::actor>::with<ok_atom>,
                   caf::reacts_to<unlisten_atom, port>,
                   caf::replies_to<info_atom>::with<client_info>,
                   caf::replies_to<ready_atom>::with<ok_atom>,
                   caf::replies_to<close_atom>::with<ok_atom>>;

} // namespace skywire::api
