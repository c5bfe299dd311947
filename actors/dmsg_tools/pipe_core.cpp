#include "actors/dmsg_tools/pipe_core.hpp"

#include <limits>

#include "messages/api/dmsg.hpp"

namespace skywire::dmsg_tools {

pipe_core::pipe_core(caf::event_based_actor* self, io::stream_connection_ptr conn,
            api::dmsg_stream_actor stream,
                     size_t max_unacked)
  : self_(self), conn_(std::move(conn)), stream_(std::move(stream)), max_unacked_(max_unacked) {
}

void pipe_core::on_socket_data(byte_buffer&& bytes) {
  if (stream_closed_ || bytes.empty())
    return;
  unacked_ += bytes.size();
  to_stream_ += bytes.size();
  self_->send(stream_, api::write_atom::value, std::move(bytes));
  if (!paused_ && unacked_ >= max_unacked_) {
    paused_ = true;
    conn_->pause_reading();
  }
}

void pipe_core::on_stream_ack(uint64_t n) {
  unacked_ = n > unacked_ ? 0 : unacked_ - n;
  if (paused_ && unacked_ <= max_unacked_ / 2 && !socket_closed_) {
    paused_ = false;
    conn_->resume_reading();
  }
}

void pipe_core::on_socket_sent(size_t n) {
  socket_queued_ = n > socket_queued_ ? 0 : socket_queued_ - n;
  if (!stream_closed_) {
    while (n > 0) {
      auto chunk = static_cast<uint32_t>(std::min<size_t>(n, std::numeric_limits<uint32_t>::max()));
      self_->send(stream_, api::consumed_atom::value, chunk);
      n -= chunk;
    }
  }
  maybe_close_socket();
}

void pipe_core::on_socket_closed() {
  if (socket_closed_)
    return;
  socket_closed_ = true;
  if (!stream_closed_)
    self_->send(stream_, api::close_atom::value);
}

void pipe_core::on_stream_data(byte_buffer&& bytes) {
  if (socket_closed_ || bytes.empty())
    return;
  auto n = bytes.size();
  to_socket_ += n;
  socket_queued_ += n;
  if (!conn_->write(std::move(bytes))) {
    to_socket_ -= n;
    socket_queued_ -= n;
    if (conn_->closed()) {
      // The socket has ended (the local side closed it, or reset it) and
      // the owner has not heard yet: on_socket_closed follows, behind what
      // the socket read before its end. Those bytes still go to the stream,
      // then the stream closes (the local side's end, not a failure of the
      // pipe); what the stream sends the socket has nowhere to go.
      return;
    }
    // the local reader is hopelessly slow: end both sides
    local_failure_ = "local socket queue full (the local reader is too slow or gone)";
    abort();
  }
}

void pipe_core::on_stream_closed(const caf::error& err) {
  if (stream_closed_)
    return;
  stream_closed_ = true;
  reset_socket_ = static_cast<bool>(err);
  close_socket_when_drained_ = true;
  maybe_close_socket();
}

void pipe_core::maybe_close_socket() {
  if (close_socket_when_drained_ && !socket_closed_ && socket_queued_ == 0) {
    close_socket_when_drained_ = false;
    // on_socket_closed follows through the owner's callback
    if (reset_socket_)
      conn_->close_with_reset();
    else
      conn_->close();
  }
}

void pipe_core::abort() {
  if (!stream_closed_) {
    self_->send(stream_, api::close_atom::value);
    stream_closed_ = true;
  }
  if (!socket_closed_)
    conn_->close_with_reset();
}

} // namespace skywire::dmsg_tools
