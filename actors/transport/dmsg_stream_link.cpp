#include "actors/transport/dmsg_stream_link.hpp"

#include <boost/asio/error.hpp>

#include "actors/dmsg/link.hpp"

namespace skywire::transport {

std::shared_ptr<dmsg_stream_link> dmsg_stream_link::make(dmsg::stream_core_ptr core,
                                                         std::string name,
                                                         std::function<void()> close_fn) {
  return std::shared_ptr<dmsg_stream_link>(
    new dmsg_stream_link(std::move(core), std::move(name), std::move(close_fn)));
}

dmsg_stream_link::dmsg_stream_link(dmsg::stream_core_ptr core, std::string name,
                                   std::function<void()> close_fn)
  : core_(std::move(core)), name_(std::move(name)), close_fn_(std::move(close_fn)) {}

void dmsg_stream_link::start(callbacks cbs, size_t) {
  {
    std::lock_guard<std::mutex> g{mtx_};
    cbs_ = std::move(cbs);
  }
  // The sink runs on the session's io thread, under the core's lock: bytes
  // held since the stream opened are delivered at once.
  std::weak_ptr<dmsg_stream_link> weak = shared_from_this();
  core_->set_sink([weak](io::byte_buffer&& b) {
    if (auto self = weak.lock())
      self->deliver(std::move(b));
  });
}

void dmsg_stream_link::deliver(io::byte_buffer&& b) {
  if (closed_.load(std::memory_order_acquire))
    return;
  auto n = b.size();
  if (cbs_.on_span)
    cbs_.on_span(b);
  else if (cbs_.on_data)
    cbs_.on_data(std::move(b));
  bool give_back = false;
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (paused_)
      owed_ += n;
    else
      give_back = true;
  }
  if (give_back)
    core_->consumed(n);
}

bool dmsg_stream_link::write(io::byte_buffer&& bytes) {
  if (closed_.load(std::memory_order_acquire))
    return false;
  if (bytes.empty())
    return true;
  if (core_->send_queue_bytes() + bytes.size() > max_queued_)
    return false;
  return core_->write(bytes) == dmsg::stream_core::write_result::ok;
}

void dmsg_stream_link::pause_reading() {
  std::lock_guard<std::mutex> g{mtx_};
  paused_ = true;
}

void dmsg_stream_link::resume_reading() {
  uint64_t n = 0;
  {
    std::lock_guard<std::mutex> g{mtx_};
    paused_ = false;
    n = owed_;
    owed_ = 0;
  }
  if (n > 0)
    core_->consumed(n);
}

void dmsg_stream_link::close() {
  if (closed_.load(std::memory_order_acquire))
    return;
  if (close_fn_)
    close_fn_();
}

size_t dmsg_stream_link::queued_bytes() const {
  return core_->send_queue_bytes();
}

void dmsg_stream_link::set_max_queued(size_t n) {
  max_queued_ = n;
}

io::timer_service& dmsg_stream_link::timers() {
  return core_->link()->timers();
}

void dmsg_stream_link::post(std::function<void()> fn) {
  core_->link()->post(std::move(fn));
}

void dmsg_stream_link::on_stream_closed(const caf::error& err) {
  if (closed_.exchange(true, std::memory_order_acq_rel))
    return;
  std::function<void(const boost::system::error_code&)> cb;
  {
    std::lock_guard<std::mutex> g{mtx_};
    cb = std::move(cbs_.on_closed);
    cbs_ = {};
  }
  if (cb)
    // a clean end reads as the peer's end of stream (transport_core: peer_closed)
    cb(err ? boost::system::error_code{boost::asio::error::connection_reset}
           : boost::system::error_code{boost::asio::error::eof});
}

} // namespace skywire::transport
