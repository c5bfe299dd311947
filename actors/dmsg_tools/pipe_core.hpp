// Byte pump between a local stream socket (io::stream_connection) and a dmsg
// stream actor, both directions, with back-pressure on each side:
//  - socket -> dmsg: at most `max_unacked` bytes written to the stream and not
//    yet acknowledged (ack_atom); beyond that the socket stops being read.
//  - dmsg -> socket: received bytes are credited back to the stream
//    (consumed_atom) only once the socket has sent them, so the stream's
//    receive window (and the remote sender) follows the local reader's pace.
// Closing: EOF on the socket closes the stream after the queued writes; the
// stream's end closes the socket once its queue is drained: with a FIN when
// the stream closed cleanly, with an RST when it ended with an error (reset,
// session lost), so the local reader cannot take a cut stream for a complete
// one. abort() resets the socket too. A socket that ended while stream bytes
// for it were on their way (a local service that replies and closes without
// reading the request) is the local side's end, not a failure: the bytes it
// read before its end still go to the stream, then the stream closes.
//
// Plain state driven by the actor that owns both (tcp_pipe, socks5_session).
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>

#include "messages/api/dmsg.hpp"
#include "runtime/io/stream_connection.hpp"

namespace skywire::dmsg_tools {

using byte_buffer = std::vector<uint8_t>;

class pipe_core {
public:
  pipe_core(caf::event_based_actor* self, io::stream_connection_ptr conn,
            api::dmsg_stream_actor stream,
            size_t max_unacked = 1024 * 1024);

  // socket side (the owner's callbacks turn into these calls)
  void on_socket_data(byte_buffer&& bytes);
  void on_socket_sent(size_t n);
  void on_socket_closed();

  // stream side
  void on_stream_data(byte_buffer&& bytes);
  void on_stream_ack(uint64_t n);
  /// The stream ended; `err` set = it failed (the socket then gets an RST).
  void on_stream_closed(const caf::error& err = {});

  /// Both directions have ended: the owner can quit.
  bool done() const noexcept { return socket_closed_ && stream_closed_; }

  /// Closes both sides at once (owner shutting down, or the socket cannot
  /// take more): the stream with a FIN, the socket with an RST.
  void abort();

  uint64_t bytes_to_stream() const noexcept { return to_stream_; }
  /// Why the pipe gave up on the local side (empty: it did not): the socket
  /// refused more bytes (its queue is full, or it is closed).
  const std::string& local_failure() const noexcept { return local_failure_; }
  uint64_t bytes_to_socket() const noexcept { return to_socket_; }

private:
  void maybe_close_socket();

  caf::event_based_actor* self_;
  io::stream_connection_ptr conn_;
  api::dmsg_stream_actor stream_;
  size_t max_unacked_;
  uint64_t unacked_ = 0;
  bool paused_ = false;
  bool socket_closed_ = false;
  bool stream_closed_ = false;
  bool close_socket_when_drained_ = false;
  bool reset_socket_ = false; ///< the stream failed: end the socket with an RST
  uint64_t to_stream_ = 0;
  uint64_t to_socket_ = 0;
  uint64_t socket_queued_ = 0; ///< bytes handed to the socket, not yet sent
  std::string local_failure_;
};

} // namespace skywire::dmsg_tools
