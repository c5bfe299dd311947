// Byte pump between a local TCP connection (io::stream_connection) and a
// route group (messages/api/route_group.hpp), both directions, bounded and
// back-pressured on each side — the data path of SkyNet forwarding (fwd/rev).
//  - socket -> route: each read is one write_atom to the group; at most
//    `max_unanswered` bytes written and not yet taken by the group, beyond
//    that the socket stops being read until the group catches up.
//  - route -> socket: received bytes are credited back to the group
//    (consumed_atom) only once the socket has sent them, so the group's
//    receive bound (and the remote sender) follows the local reader's pace.
// Closing: EOF on the socket closes the route once every write was taken;
// the route's clean end closes the socket once its queue is drained (FIN),
// a failed route resets it (RST), so a cut transfer never looks complete.
//
// This is an actor pipe: one mailbox hop per chunk each way (a read of up to
// 64 KiB, a packet of up to 4 KiB). The direct path (the group's core as
// the socket's sink on its shard, score_atom) is not used yet.
//
// Plain state driven by the actor that owns both (skyfwd's sessions).
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>

#include "messages/api/route_group.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::routing {

class route_pipe {
public:
  route_pipe(caf::event_based_actor* self, io::stream_connection_ptr conn,
             api::route_group_actor group, size_t max_unanswered = 1024 * 1024);

  // socket side
  void on_socket_data(io::byte_buffer&& bytes);
  void on_socket_sent(size_t n);
  void on_socket_closed();
  // route side
  void on_route_data(api::byte_buffer&& bytes);
  /// The route ended; `err` set = it failed (the socket then gets an RST).
  void on_route_closed(const caf::error& err);

  /// Both directions have ended: the owner can quit.
  bool done() const noexcept { return socket_closed_ && route_closed_; }
  /// Ends both sides now (the owner quits): route closed, socket reset.
  void abort();

  uint64_t bytes_to_route() const noexcept { return to_route_; }
  uint64_t bytes_to_socket() const noexcept { return to_socket_; }

private:
  void maybe_close_route();
  void maybe_close_socket();

  caf::event_based_actor* self_;
  io::stream_connection_ptr conn_;
  api::route_group_actor group_;
  size_t max_unanswered_;
  size_t unanswered_ = 0;
  size_t socket_queued_ = 0;
  bool paused_ = false;
  bool socket_closed_ = false;
  bool route_closed_ = false;
  bool route_close_sent_ = false;
  bool route_failed_ = false;
  uint64_t to_route_ = 0;
  uint64_t to_socket_ = 0;
};

} // namespace skywire::routing
