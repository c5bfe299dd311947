#include "runtime/io/stream_connection.hpp"

#include "runtime/io/shard_timers.hpp"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace skywire::io {

namespace asio = boost::asio;
using boost::system::error_code;

stream_connection::stream_connection(socket_type&& s)
  : socket_(std::move(s)),
    strand_(asio::make_strand(static_cast<asio::io_context&>(socket_.get_executor().context())
                                .get_executor())) {
  error_code ec;
  socket_.non_blocking(true, ec);
  fd_ = socket_.native_handle();
  // a unix socket refuses it
  int one = 1;
  tcp_inq_ = ::setsockopt(fd_, IPPROTO_TCP, TCP_INQ, &one, sizeof one) == 0;
}

std::shared_ptr<stream_connection> stream_connection::make(asio::ip::tcp::socket&& s) {
  error_code ec;
  s.set_option(asio::ip::tcp::no_delay(true), ec);
  std::string remote;
  auto ep = s.remote_endpoint(ec);
  if (!ec)
    remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  auto proto = s.local_endpoint(ec).protocol();
  auto fd = s.release(ec);
  socket_type gs(s.get_executor(), asio::generic::stream_protocol(proto.family(), proto.protocol()),
                 fd);
  std::shared_ptr<stream_connection> c(new stream_connection(std::move(gs)));
  c->remote_ = std::move(remote);
  return c;
}

std::shared_ptr<stream_connection> stream_connection::adopt_tcp(asio::io_context& ctx, int fd,
                                                                const asio::ip::tcp::endpoint& peer) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  error_code ec;
  socket_type gs(ctx);
  gs.assign(asio::generic::stream_protocol(peer.protocol().family(), IPPROTO_TCP), fd, ec);
  if (ec) {
    ::close(fd);
    return nullptr;
  }
  std::shared_ptr<stream_connection> c(new stream_connection(std::move(gs)));
  c->remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
  return c;
}

std::shared_ptr<stream_connection>
stream_connection::make(asio::local::stream_protocol::socket&& s) {
  error_code ec;
  std::string remote = "unix";
  auto fd = s.release(ec);
  socket_type gs(s.get_executor(), asio::generic::stream_protocol(AF_UNIX, 0), fd);
  std::shared_ptr<stream_connection> c(new stream_connection(std::move(gs)));
  c->remote_ = std::move(remote);
  return c;
}

stream_connection::~stream_connection() = default;

void stream_connection::start(callbacks cbs, size_t max_read) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    report_sent_ = static_cast<bool>(cbs.on_sent) && direct_reports_;
  }
  asio::post(strand_, [self = shared_from_this(), cbs = std::move(cbs), max_read]() mutable {
    self->cbs_ = std::move(cbs);
    self->max_read_ = max_read == 0 ? 1 : max_read;
    self->started_ = true;
    self->report_direct(); // bytes sent directly before start()
    if (self->awaiting_predecessor_)
      return; // hand_over() starts the reads
    self->deliver_carried();
    self->do_wait_read();
  });
}

void stream_connection::set_max_read(size_t max_read) {
  asio::post(strand_, [self = shared_from_this(), max_read] {
    self->max_read_ = max_read == 0 ? 1 : max_read;
  });
}

// The wait for readability is a read into head_ that the shard's reactor
// performs (reactor_read): a short read tells the reactor the socket is
// drained, so the next read waits for epoll without a system call. A read
// that fills head_ is continued at once from the socket into the shard's
// buffer.
void stream_connection::do_wait_read() {
  if (finished_ || reading_paused_ || read_pending_)
    return;
  read_pending_ = true;
  read_want_ = std::min(head_.size(), max_read_);
  read_got_ = 0;
  read_inq_ = -1;
  read_op_.start(socket_, shared_from_this());
}

namespace {

/// What TCP_INQ's control message says is left to read: -1 when absent. The
/// kernel counts a received FIN as 1 byte, so 0 means no bytes and no end.
int bytes_left(const msghdr& msg) {
  for (auto* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c))
    if (c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ
        && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int v = 0;
      std::memcpy(&v, CMSG_DATA(c), sizeof v);
      return v;
    }
  return -1;
}

} // namespace

// A read is "drained" only when the kernel says nothing is left, its end
// included (TCP_INQ counts a FIN as a byte), and epoll's last report for the
// socket had no error or hang-up: bytes and a FIN or a reset that arrived
// together are one epoll edge, and a read that took the bytes must not wait
// for another. TCP_INQ does not count a reset; a reset that came before
// epoll's last report shows there (EPOLLERR|EPOLLHUP), and one that came after
// it is an edge still to be reported. Without TCP_INQ (a unix socket) the next
// read is tried at once, as Asio does.
reactor_read::found stream_connection::perform_read(void* p, error_code& ec) {
  auto* self = static_cast<stream_connection*>(p);
  iovec iov{self->head_.data(), self->read_want_};
  struct alignas(cmsghdr) {
    uint8_t bytes[CMSG_SPACE(sizeof(int))];
  } control;
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  for (;;) {
    if (self->tcp_inq_) {
      msg.msg_control = control.bytes;
      msg.msg_controllen = sizeof control.bytes;
    }
    ssize_t n = ::recvmsg(self->fd_, &msg, MSG_DONTWAIT);
    if (n > 0) {
      self->read_got_ = static_cast<size_t>(n);
      // an error or hang-up in epoll's last report: TCP_INQ cannot speak for it
      int left = self->tcp_inq_ && (self->read_op_.last_events() & (EPOLLERR | EPOLLHUP)) == 0
                   ? bytes_left(msg)
                   : -1;
      self->read_inq_ = left;
      // a full read too: nothing left is nothing left (on_head then reads no more)
      return left == 0 ? reactor_read::found::drained : reactor_read::found::some;
    }
    if (n == 0) {
      ec = asio::error::eof;
      return reactor_read::found::drained;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return reactor_read::found::nothing;
    ec = error_code(errno, asio::error::get_system_category());
    return reactor_read::found::drained;
  }
}

void stream_connection::complete_read(void* p, const error_code& ec) {
  auto* self = static_cast<stream_connection*>(p);
  // no bytes and no error: the reactor was shutting down
  error_code err = !ec && self->read_got_ == 0 ? error_code{asio::error::operation_aborted} : ec;
  asio::dispatch(self->strand_, [self = self->shared_from_this(), err] {
    self->read_pending_ = false;
    if (self->finished_)
      return self->hand_over(self->read_got_, err);
    if (err)
      return self->finish(err);
    self->on_head(self->read_got_);
  });
}

namespace {

/// The shard's read buffer for span consumers: allocated once per io thread,
/// never zero-filled, reused by every connection of the shard (a read is
/// consumed before the next one starts on this thread).
uint8_t* shard_read_buffer(size_t n) {
  thread_local std::unique_ptr<uint8_t[]> buf;
  thread_local size_t size = 0;
  if (size < n) {
    buf.reset(new uint8_t[n]);
    size = n;
  }
  return buf.get();
}

} // namespace

void stream_connection::on_head(size_t n) {
  error_code ec;
  // the socket may hold more: a full head, unless TCP_INQ said nothing is left
  bool more = n == head_.size() && max_read_ > n && read_inq_ != 0;
  if (cbs_.on_span) {
    if (!more) {
      cbs_.on_span(std::span<const uint8_t>{head_.data(), n});
      return do_wait_read();
    }
    auto* p = shard_read_buffer(max_read_);
    std::memcpy(p, head_.data(), n);
    size_t m = socket_.read_some(asio::buffer(p + n, max_read_ - n), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      cbs_.on_span(std::span<const uint8_t>{p, n}); // what came before the error
      if (finished_)
        return;
      return finish(ec);
    }
    cbs_.on_span(std::span<const uint8_t>{p, n + (ec ? 0 : m)});
    return do_wait_read();
  }
  // what is left: TCP_INQ's count from the read (a FIN counts 1, and the read
  // of it then ends the stream), else the kernel's answer to FIONREAD
  size_t avail = 0;
  if (more && read_inq_ > 0)
    avail = static_cast<size_t>(read_inq_);
  else if (more)
    avail = socket_.available(ec);
  if (ec)
    avail = 0;
  size_t want = n + std::min(avail, max_read_ - std::min(max_read_, n));
  byte_buffer buf(want);
  std::memcpy(buf.data(), head_.data(), n);
  size_t m = 0;
  if (want > n) {
    m = socket_.read_some(asio::buffer(buf.data() + n, want - n), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      buf.resize(n);
      if (cbs_.on_data)
        cbs_.on_data(std::move(buf));
      if (finished_)
        return;
      return finish(ec);
    }
    if (ec)
      m = 0;
  }
  buf.resize(n + m);
  if (cbs_.on_data)
    cbs_.on_data(std::move(buf));
  do_wait_read();
}

// A read that completes after move_to() (it was performed before the socket was
// released): its bytes belong to the successor, which reads nothing until they
// are handed over.
void stream_connection::hand_over(size_t n, const error_code& ec) {
  auto succ = std::move(successor_);
  if (!succ)
    return;
  byte_buffer carried(head_.begin(), head_.begin() + static_cast<std::ptrdiff_t>(n));
  // an error the read took from the socket (a reset, say) is the successor's
  // to report; a cancelled read left everything in the kernel
  error_code err = ec == asio::error::operation_aborted ? error_code{} : ec;
  asio::post(succ->strand_, [succ, carried = std::move(carried), err]() mutable {
    succ->awaiting_predecessor_ = false;
    succ->carried_ = std::move(carried);
    succ->carried_error_ = err;
    if (!succ->started_)
      return; // start() delivers them
    succ->deliver_carried();
    succ->do_wait_read();
  });
}

void stream_connection::deliver_carried() {
  if (finished_)
    return;
  if (!carried_.empty()) {
    auto bytes = std::move(carried_);
    carried_ = {};
    if (cbs_.on_span)
      cbs_.on_span(std::span<const uint8_t>{bytes.data(), bytes.size()});
    else if (cbs_.on_data)
      cbs_.on_data(std::move(bytes));
  }
  if (carried_error_ && !finished_) {
    auto ec = carried_error_;
    carried_error_ = {};
    finish(ec);
  }
}

// With mtx_ held and nothing queued ahead: one non-blocking sendmsg from the
// caller's memory. closed_ is set under this mutex before the strand closes
// the socket, so fd_ is still ours. Errors other than a full buffer send
// nothing here: the bytes are queued and the strand's write reports them.
size_t stream_connection::send_now_locked(const iovec* iov, size_t n, bool& post_report) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = n;
  ssize_t sent;
  do {
    // one buffer (an answer, a gathered batch): send, which skips copying
    // and checking a message header and an iovec array in the kernel
    sent = n == 1 ? ::send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_DONTWAIT | MSG_NOSIGNAL)
                  : ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent <= 0)
    return 0;
  if (report_sent_) {
    post_report = direct_unreported_ == 0;
    direct_unreported_ += static_cast<size_t>(sent);
  }
  return static_cast<size_t>(sent);
}

void stream_connection::post_after_write(bool post_write, bool post_report) {
  if (post_write)
    asio::post(strand_, [self = shared_from_this()] { self->do_write(); });
  if (post_report)
    asio::post(strand_, [self = shared_from_this()] { self->report_direct(); });
}

bool stream_connection::write(byte_buffer&& bytes) {
  if (bytes.empty())
    return true;
  bool post_write = false;
  bool post_report = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_ || queued_ + bytes.size() > max_queued_)
      return false;
    size_t sent = 0;
    // Whoever queues into an idle connection posts the write; otherwise a
    // post or a write completion is already due and takes these bytes too.
    bool idle = !writing_ && queue_.empty();
    if (idle) {
      iovec iov{bytes.data(), bytes.size()};
      sent = send_now_locked(&iov, 1, post_report);
    }
    if (sent < bytes.size()) {
      if (sent > 0)
        bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(sent));
      queued_ += bytes.size();
      queue_.push_back(std::move(bytes));
      post_write = idle;
    } else {
      recycle_locked(std::move(bytes));
    }
  }
  post_after_write(post_write, post_report);
  return true;
}

void stream_connection::recycle_locked(byte_buffer&& b) {
  // Only for a connection whose writers take buffers (spare_ got its
  // capacity in take_buffer): a connection nobody takes from (a dmsg
  // server's, whose relay writes queue copies) keeps nothing.
  if (spare_.capacity() == 0)
    return;
  if (spare_.size() < max_spare_buffers && b.capacity() >= min_recycled
      && b.capacity() <= max_recycled) {
    b.resize(b.capacity()); // initialized once: later take_buffer() calls never zero-fill
    spare_.push_back(std::move(b));
  }
}

byte_buffer stream_connection::take_buffer(size_t n) {
  byte_buffer b;
  if (n >= min_recycled && n <= max_recycled) {
    std::lock_guard<std::mutex> guard{mtx_};
    if (spare_.capacity() == 0)
      spare_.reserve(max_spare_buffers); // from now on sent buffers are kept
    for (size_t i = spare_.size(); i-- > 0;)
      if (spare_[i].size() >= n) {
        b = std::move(spare_[i]);
        spare_[i] = std::move(spare_.back());
        spare_.pop_back();
        break;
      }
  }
  b.resize(n);
  return b;
}

bool stream_connection::write_gather(std::span<const std::span<const uint8_t>> parts, size_t& copied) {
  copied = 0;
  size_t total = 0;
  for (auto p : parts)
    total += p.size();
  if (total == 0)
    return true;
  bool post_write = false;
  bool post_report = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_ || queued_ + total > max_queued_)
      return false;
    size_t sent = 0;
    bool idle = !writing_ && queue_.empty();
    if (idle && parts.size() <= max_gather_parts) {
      std::array<iovec, max_gather_parts> iov;
      for (size_t i = 0; i < parts.size(); ++i)
        iov[i] = iovec{const_cast<uint8_t*>(parts[i].data()), parts[i].size()};
      sent = send_now_locked(iov.data(), parts.size(), post_report);
    }
    if (sent < total) {
      // What the kernel did not take (or everything, behind queued bytes).
      byte_buffer rest;
      rest.reserve(total - sent);
      size_t skip = sent;
      for (auto p : parts) {
        if (skip >= p.size()) {
          skip -= p.size();
          continue;
        }
        rest.insert(rest.end(), p.begin() + static_cast<std::ptrdiff_t>(skip), p.end());
        skip = 0;
      }
      copied = rest.size();
      queued_ += rest.size();
      queue_.push_back(std::move(rest));
      post_write = idle;
    }
  }
  post_after_write(post_write, post_report);
  return true;
}

void stream_connection::report_direct() {
  size_t n;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!report_sent_)
      return;
    n = direct_unreported_;
    direct_unreported_ = 0;
  }
  if (n > 0 && !finished_ && cbs_.on_sent)
    cbs_.on_sent(n);
}

void stream_connection::do_write() {
  if (finished_)
    return;
  std::vector<byte_buffer> batch;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (writing_ || queue_.empty())
      return;
    batch.reserve(queue_.size());
    while (!queue_.empty() && batch.size() < 64) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    writing_ = true;
  }
  write_batch(std::make_shared<std::vector<byte_buffer>>(std::move(batch)), 0, 0);
}

// One gathered write of batch[index..] (the first from offset). queued_
// drops by exactly what the kernel took, buffer by buffer, so queued_bytes()
// is exact while a large batch is under way; the rest goes in the next round.
void stream_connection::write_batch(std::shared_ptr<std::vector<byte_buffer>> owned, size_t index,
                                    size_t offset) {
  std::vector<asio::const_buffer> bufs;
  bufs.reserve(owned->size() - index);
  for (size_t i = index; i < owned->size(); ++i) {
    size_t skip = i == index ? offset : 0;
    bufs.emplace_back((*owned)[i].data() + skip, (*owned)[i].size() - skip);
  }
  socket_.async_write_some(
    bufs, asio::bind_executor(strand_, [self = shared_from_this(), owned, index,
                                        offset](error_code ec, size_t n) {
      size_t i = index;
      size_t off = offset;
      for (size_t left = n; i < owned->size() && left > 0;) {
        size_t avail = (*owned)[i].size() - off;
        if (left < avail) {
          off += left;
          break;
        }
        left -= avail;
        ++i;
        off = 0;
      }
      bool done = i == owned->size();
      bool stop = ec || self->finished_;
      size_t dropped = 0; // not written and never will be: the connection ends
      if (stop && !done)
        for (size_t k = i; k < owned->size(); ++k)
          dropped += (*owned)[k].size() - (k == i ? off : 0);
      {
        std::lock_guard<std::mutex> guard{self->mtx_};
        self->queued_ -= n + dropped;
        if (done || stop)
          self->writing_ = false;
        for (size_t k = index; k < i; ++k) // the buffers this write finished
          self->recycle_locked(std::move((*owned)[k]));
      }
      if (self->finished_)
        return;
      if (ec)
        return self->finish(ec);
      if (n > 0 && self->cbs_.on_sent)
        self->cbs_.on_sent(n);
      if (!done)
        return self->write_batch(owned, i, off);
      self->do_write();
    }));
}

void stream_connection::pause_reading() {
  asio::post(strand_, [self = shared_from_this()] { self->reading_paused_ = true; });
}

void stream_connection::resume_reading() {
  asio::post(strand_, [self = shared_from_this()] {
    self->reading_paused_ = false;
    self->do_wait_read();
  });
}

void stream_connection::close() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
  }
  asio::post(strand_, [self = shared_from_this()] { self->finish(asio::error::operation_aborted); });
}

void stream_connection::close_with_reset() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
  }
  asio::post(strand_, [self = shared_from_this()] {
    self->reset_on_finish_ = true;
    self->finish(asio::error::operation_aborted);
  });
}

void stream_connection::finish(const error_code& ec) {
  if (finished_)
    return;
  finished_ = true;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
  }
  error_code ignored;
  if (reset_on_finish_)
    socket_.set_option(asio::socket_base::linger(true, 0), ignored); // close() sends RST
  else
    socket_.shutdown(socket_type::shutdown_both, ignored);
  socket_.close(ignored);
  auto cb = std::move(cbs_.on_closed);
  cbs_ = {};
  if (cb)
    cb(ec);
}

bool stream_connection::closed() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return closed_;
}

size_t stream_connection::queued_bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queued_;
}

void stream_connection::set_direct_send_reports(bool on) {
  std::lock_guard<std::mutex> guard{mtx_};
  direct_reports_ = on;
  report_sent_ = report_sent_ && on;
}

void stream_connection::post(std::function<void()> fn) {
  asio::post(strand_, std::move(fn));
}

std::shared_ptr<stream_connection> stream_connection::move_to(asio::io_context& ctx) {
  // not while this one still waits for bytes its own predecessor read (they
  // would reach neither)
  if (finished_ || awaiting_predecessor_ || !carried_.empty() || carried_error_)
    return nullptr;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_ || writing_ || !queue_.empty() || direct_unreported_ > 0)
      return nullptr;
    closed_ = true; // from here on, writes to this object fail
  }
  error_code ec;
  auto proto = socket_.local_endpoint(ec).protocol();
  int fd = ec ? -1 : socket_.release(ec); // cancels the pending read wait
  if (ec || fd < 0) {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = false;
    return nullptr;
  }
  // A pending read completes later on this strand and sees finished_: cancelled,
  // or already performed, and then its bytes are handed to the successor,
  // which waits for them before it reads.
  finished_ = true;
  cbs_ = {};
  socket_type moved(ctx, proto, fd);
  std::shared_ptr<stream_connection> c(new stream_connection(std::move(moved)));
  c->remote_ = remote_;
  c->max_queued_ = max_queued_;
  c->direct_reports_ = direct_reports_;
  if (read_pending_) {
    c->awaiting_predecessor_ = true;
    successor_ = c;
  }
  return c;
}

timer_service& stream_connection::timers() {
  return shard_timers::of(static_cast<asio::io_context&>(socket_.get_executor().context()));
}

bool stream_connection::on_io_thread() const {
  auto& ctx = static_cast<asio::io_context&>(
    const_cast<socket_type&>(socket_).get_executor().context());
  return ctx.get_executor().running_in_this_thread();
}

std::string stream_connection::remote_endpoint() const {
  return remote_;
}

} // namespace skywire::io
