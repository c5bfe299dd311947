#include "actors/routing/route_pipe.hpp"

#include <algorithm>
#include <chrono>

#include "runtime/log/logger.hpp"

namespace skywire::routing {

route_pipe::route_pipe(caf::event_based_actor* self, io::stream_connection_ptr conn,
                       api::route_group_actor group, size_t max_unanswered)
  : self_(self), conn_(std::move(conn)), group_(std::move(group)),
    max_unanswered_(max_unanswered) {}

void route_pipe::on_socket_data(io::byte_buffer&& bytes) {
  if (route_closed_ || route_close_sent_ || bytes.empty())
    return;
  auto n = bytes.size();
  unanswered_ += n;
  to_route_ += n;
  if (!paused_ && unanswered_ >= max_unanswered_) {
    paused_ = true;
    conn_->pause_reading();
  }
  self_->request(group_, std::chrono::seconds(30), api::write_atom::value, std::move(bytes))
    .then(
      [this, n](api::ok_atom) {
        unanswered_ -= n;
        if (paused_ && unanswered_ < max_unanswered_ / 2 && !socket_closed_) {
          paused_ = false;
          conn_->resume_reading();
        }
        maybe_close_route();
      },
      [this, n](caf::error& err) {
        unanswered_ -= n;
        SKYWIRE_LOG(debug, "skyfwd", "route write failed", log::kv("error", describe(err)));
        abort();
      });
}

void route_pipe::on_socket_sent(size_t n) {
  n = std::min(n, socket_queued_);
  socket_queued_ -= n;
  if (n > 0 && !route_closed_)
    self_->send(group_, api::consumed_atom::value, static_cast<uint32_t>(n));
  maybe_close_socket();
}

void route_pipe::on_socket_closed() {
  socket_closed_ = true;
  maybe_close_route();
}

void route_pipe::on_route_data(api::byte_buffer&& bytes) {
  if (socket_closed_) {
    // nobody reads any more: take the bytes off the group's books
    self_->send(group_, api::consumed_atom::value, static_cast<uint32_t>(bytes.size()));
    return;
  }
  auto n = bytes.size();
  socket_queued_ += n;
  to_socket_ += n;
  if (!conn_->write(std::move(bytes)))
    abort();
}

void route_pipe::on_route_closed(const caf::error& err) {
  route_closed_ = true;
  route_failed_ = static_cast<bool>(err);
  maybe_close_socket();
}

void route_pipe::maybe_close_route() {
  if (socket_closed_ && unanswered_ == 0 && !route_close_sent_ && !route_closed_) {
    route_close_sent_ = true;
    self_->send(group_, api::close_atom::value);
  }
}

void route_pipe::maybe_close_socket() {
  if (!route_closed_ || socket_closed_)
    return;
  if (route_failed_)
    conn_->close_with_reset();
  else if (socket_queued_ == 0 || conn_->queued_bytes() == 0)
    conn_->close();
}

void route_pipe::abort() {
  if (!route_closed_ && !route_close_sent_) {
    route_close_sent_ = true;
    self_->send(group_, api::close_atom::value);
  }
  if (!socket_closed_)
    conn_->close_with_reset();
}

} // namespace skywire::routing
