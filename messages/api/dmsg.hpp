// The actor protocol of dmsg inside one process: what the dmsg client actor and
// a dmsg stream actor accept and send. Local messages only (never over BASP).
//
// Client actor (actors/dmsg/client):
//   request(client, T, dial_atom, address remote)            -> stream_opened | error
//   request(client, T, listen_atom, port p, caf::actor owner) -> ok_atom | error
//       every stream accepted on p reaches `owner` as (accept_atom, stream_opened)
//   anon_send(client, unlisten_atom, port p)
//   request(client, T, info_atom)                             -> client_info
//
// Stream actor (one per dmsg stream, end-to-end Noise KK inside):
//   owner -> stream  (write_atom, byte_buffer)   bytes to send; the stream answers
//                                                 (ack_atom, uint64_t n) once n bytes left
//                                                 its send buffer (keep a bounded number
//                                                 of unacknowledged bytes in flight)
//   stream -> owner  (data_atom, byte_buffer)    received plaintext, in order
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
//   Everything a stream sends to its owner (accept, data, ack, closed) has the
//   stream actor as sender (current_sender()), so one owner can serve many
//   streams; owners' handlers for them return nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/ids.hpp"

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
using close_atom = caf::atom_constant<caf::atom("close")>;
using ok_atom = caf::atom_constant<caf::atom("ok")>;

/// A dmsg stream that has completed its handshake.
struct stream_opened {
  caf::actor stream;
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
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_info& x) {
  return f(caf::meta::type_name("skywire::api::client_info"), x.pk, x.sessions,
           x.listening_ports);
}

} // namespace skywire::api
