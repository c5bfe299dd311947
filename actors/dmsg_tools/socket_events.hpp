// Messages an io::stream_connection's callbacks send to the actor owning it.
#pragma once

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/send.hpp>

#include "runtime/io/stream_connection.hpp"

namespace skywire::dmsg_tools {

using sock_data_atom = caf::atom_constant<caf::atom("sk_data")>;
using sock_sent_atom = caf::atom_constant<caf::atom("sk_sent")>;
using sock_closed_atom = caf::atom_constant<caf::atom("sk_closed")>;

/// Callbacks that forward every socket event to `owner` as a message.
inline io::stream_connection::callbacks socket_callbacks(caf::actor owner) {
  io::stream_connection::callbacks cbs;
  cbs.on_data = [owner](io::byte_buffer&& b) {
    caf::anon_send(owner, sock_data_atom::value, std::move(b));
  };
  cbs.on_sent = [owner](size_t n) { caf::anon_send(owner, sock_sent_atom::value, uint64_t{n}); };
  cbs.on_closed = [owner](const boost::system::error_code&) {
    caf::anon_send(owner, sock_closed_atom::value);
  };
  return cbs;
}

} // namespace skywire::dmsg_tools
