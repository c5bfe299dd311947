#include "runtime/io/udp_socket.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace skywire::io {

namespace asio = boost::asio;

namespace {

/// The largest message UDP_GRO hands over, and what one UDP_SEGMENT message
/// may carry (an IPv4 datagram's payload is at most 65507 bytes).
constexpr size_t coalesced_size = 65536;
constexpr size_t max_offload_payload = 65000;
/// Segments per UDP_SEGMENT message (the kernel's UDP_MAX_SEGMENTS is 64 on
/// older kernels).
constexpr size_t max_offload_segments = 64;
/// Room for one cmsg carrying an int (UDP_GRO) or a uint16_t (UDP_SEGMENT),
/// aligned as the cmsghdr that CMSG_FIRSTHDR places at its start.
constexpr size_t cmsg_room = CMSG_SPACE(sizeof(int));
struct alignas(cmsghdr) cmsg_space {
  uint8_t bytes[cmsg_room];
};

} // namespace

struct udp_socket::rx_state {
  /// Not zero-filled: pages become resident only once datagrams land there.
  std::unique_ptr<uint8_t[]> buffer;
  size_t slot = 0;  ///< bytes per message
  size_t slots = 0; ///< messages per recvmmsg
  std::vector<sockaddr_storage> from;
  std::vector<iovec> iov;
  std::vector<mmsghdr> hdrs;
  std::vector<cmsg_space> control;

  void size(size_t n, size_t bytes) {
    slots = n;
    slot = bytes;
    buffer.reset(new uint8_t[n * bytes]);
    from.resize(n);
    iov.resize(n);
    hdrs.resize(n);
    control.resize(n);
  }
};

udp_socket::udp_socket(asio::io_context& ctx, options opts)
  : sock_(ctx), opts_(opts), rx_(std::make_unique<rx_state>()) {
  opts_.batch = std::clamp<size_t>(opts_.batch, 1, 1024);
  opts_.rounds = std::max<size_t>(opts_.rounds, 1);
  opts_.buffer_size = std::clamp<size_t>(opts_.buffer_size, 64, 65536);
  opts_.offload_batch = std::clamp<size_t>(opts_.offload_batch, 1, 64);
}

udp_socket::~udp_socket() = default;

asio::io_context::executor_type udp_socket::executor() noexcept {
  return static_cast<asio::io_context&>(sock_.get_executor().context()).get_executor();
}

expected<std::shared_ptr<udp_socket>> udp_socket::open(asio::io_context& ctx,
                                                       const std::string& host, uint16_t port,
                                                       options opts) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec)
    return make_error(wire_errc::bad_value, "bad UDP listen address '" + host + "'");
  std::shared_ptr<udp_socket> s(new udp_socket(ctx, opts));
  endpoint ep{addr, port};
  s->sock_.open(ep.protocol(), ec);
  if (!ec && opts.receive_buffer > 0)
    s->sock_.set_option(asio::socket_base::receive_buffer_size(opts.receive_buffer), ec);
  if (!ec && opts.send_buffer > 0)
    s->sock_.set_option(asio::socket_base::send_buffer_size(opts.send_buffer), ec);
  if (!ec)
    s->sock_.bind(ep, ec);
  if (!ec)
    s->sock_.non_blocking(true, ec);
  if (ec)
    return make_error(wire_errc::bad_value, "cannot listen on UDP " + host + ":"
                                              + std::to_string(port) + ": " + ec.message());
  s->local_ = s->sock_.local_endpoint(ec);
  if (opts.offload) {
    // GSO is asked per message; a kernel without it refuses the first one
    // (send_batch then stops asking). GRO is a socket option.
    s->gso_ = true;
    int on = 1;
    s->gro_ = ::setsockopt(s->sock_.native_handle(), SOL_UDP, UDP_GRO, &on, sizeof(on)) == 0;
  }
  if (s->gro_)
    s->rx_->size(s->opts_.offload_batch, coalesced_size);
  else
    s->rx_->size(s->opts_.batch, s->opts_.buffer_size);
  s->batch_.reserve(s->gro_ ? s->opts_.offload_batch * 64 : s->opts_.batch);
  return s;
}

bool udp_socket::is_open() const noexcept {
  return sock_.is_open();
}

void udp_socket::start(batch_fn fn) {
  on_batch_ = std::move(fn);
  wait_readable();
}

// The wait is a recvmmsg that the shard's reactor performs (reactor_read): a
// batch that does not fill rx_ tells the reactor the socket is drained, so
// the next read waits for epoll without a system call (a readiness wait would
// cost an epoll_ctl, and a drain to EAGAIN one recvmmsg more, per wake-up).
void udp_socket::wait_readable() {
  // pending: a batch it already read may be waiting for its completion
  if (!sock_.is_open() || read_op_.pending())
    return;
  received_ = 0;
  read_op_.start(sock_, shared_from_this());
}

reactor_read::found udp_socket::perform_read(void* p, boost::system::error_code&) {
  auto* self = static_cast<udp_socket*>(p);
  // errors (an ICMP report each) are counted and skipped, a few per read
  constexpr size_t max_errors_per_read = 8;
  for (size_t tries = 0; tries < max_errors_per_read; ++tries) {
    int n = self->receive_once();
    if (n < 0)
      continue;
    self->received_ = static_cast<size_t>(n);
    if (n == 0)
      return reactor_read::found::nothing;
    return self->received_ < self->rx_->slots ? reactor_read::found::drained
                                              : reactor_read::found::some;
  }
  self->received_ = 0;
  return reactor_read::found::some; // errors only: the completion reads again
}

void udp_socket::complete_read(void* p, const boost::system::error_code& ec) {
  auto* self = static_cast<udp_socket*>(p);
  if (ec || !self->sock_.is_open())
    return; // closed
  // a full batch: more may wait; up to `rounds` batches per wake-up
  bool full = self->received_ == self->rx_->slots;
  if (self->received_ > 0)
    self->deliver(self->received_);
  for (size_t round = 1; full && round < self->opts_.rounds && self->sock_.is_open(); ++round) {
    int n = self->receive_once();
    if (n < 0)
      continue;
    if (n == 0)
      break;
    self->deliver(static_cast<size_t>(n));
    full = static_cast<size_t>(n) == self->rx_->slots;
  }
  self->wait_readable();
}

int udp_socket::receive_once() {
  auto& rx = *rx_;
  for (size_t i = 0; i < rx.slots; ++i) {
    rx.iov[i].iov_base = rx.buffer.get() + i * rx.slot;
    rx.iov[i].iov_len = rx.slot;
    std::memset(&rx.hdrs[i], 0, sizeof(mmsghdr));
    rx.hdrs[i].msg_hdr.msg_name = &rx.from[i];
    rx.hdrs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    rx.hdrs[i].msg_hdr.msg_iov = &rx.iov[i];
    rx.hdrs[i].msg_hdr.msg_iovlen = 1;
    if (gro_) {
      rx.hdrs[i].msg_hdr.msg_control = rx.control[i].bytes;
      rx.hdrs[i].msg_hdr.msg_controllen = sizeof(rx.control[i].bytes);
    }
  }
  for (;;) {
    int n = ::recvmmsg(sock_.native_handle(), rx.hdrs.data(), static_cast<unsigned>(rx.slots),
                       MSG_DONTWAIT, nullptr);
    if (n >= 0)
      return n;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return 0;
    stats_.receive_errors.fetch_add(1, std::memory_order_relaxed);
    return -1;
  }
}

void udp_socket::deliver(size_t n) {
  auto& rx = *rx_;
  batch_.clear();
  for (size_t i = 0; i < n; ++i) {
    const auto& h = rx.hdrs[i];
    datagram d;
    auto len = std::min<size_t>(h.msg_len, rx.slot);
    const uint8_t* base = rx.buffer.get() + i * rx.slot;
    bool truncated = (h.msg_hdr.msg_flags & MSG_TRUNC) != 0;
    auto namelen = std::min<size_t>(h.msg_hdr.msg_namelen, d.from.capacity());
    std::memcpy(d.from.data(), h.msg_hdr.msg_name, namelen);
    d.from.resize(namelen);
    // coalesced (UDP_GRO): the datagrams the peer sent, each seg bytes but
    // the last, back to back; the kernel coalesces at most 64 (GRO) or
    // UDP_MAX_SEGMENTS (a local GSO sender, 64-128) into one message, so a
    // round hands over at most offload_batch * 128 datagrams
    size_t seg = 0;
    if (gro_) {
      for (auto* c = CMSG_FIRSTHDR(&h.msg_hdr); c != nullptr;
           c = CMSG_NXTHDR(const_cast<msghdr*>(&h.msg_hdr), c))
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO
            && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
          int v = 0;
          std::memcpy(&v, CMSG_DATA(c), sizeof(v));
          seg = v > 0 ? static_cast<size_t>(v) : 0;
        }
    }
    if (seg == 0 || seg >= len) {
      seg = len;
    } else {
      stats_.coalesced_in.fetch_add(1, std::memory_order_relaxed);
    }
    size_t off = 0;
    do {
      datagram part = d;
      part.bytes = {base + off, std::min(seg, len - off)};
      off += part.bytes.size();
      part.truncated = truncated && off >= len;
      // a datagram longer than what the owner keeps of one: cut like
      // an uncoalesced one would be
      if (part.bytes.size() > opts_.buffer_size) {
        part.bytes = part.bytes.first(opts_.buffer_size);
        part.truncated = true;
      }
      stats_.datagrams_in.fetch_add(1, std::memory_order_relaxed);
      if (part.truncated)
        stats_.truncated_in.fetch_add(1, std::memory_order_relaxed);
      batch_.push_back(part);
    } while (off < len);
    stats_.bytes_in.fetch_add(h.msg_len, std::memory_order_relaxed);
  }
  if (on_batch_)
    on_batch_(batch_);
}

bool udp_socket::send_to(const endpoint& to, std::span<const uint8_t> bytes) {
  if (!sock_.is_open()) {
    stats_.send_dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  boost::system::error_code ec;
  auto n = sock_.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
  if (ec || n != bytes.size()) {
    stats_.send_dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  stats_.datagrams_out.fetch_add(1, std::memory_order_relaxed);
  stats_.bytes_out.fetch_add(bytes.size(), std::memory_order_relaxed);
  return true;
}

size_t udp_socket::send_batch(const endpoint& to,
                              std::span<const std::span<const uint8_t>> datagrams) {
  if (datagrams.empty())
    return 0;
  if (!sock_.is_open()) {
    stats_.send_dropped.fetch_add(datagrams.size(), std::memory_order_relaxed);
    return 0;
  }
  if (datagrams.size() == 1) {
    // one datagram (an answer, its ACK with it): sendto, which copies no
    // message headers into the kernel
    auto d = datagrams[0];
    ssize_t r;
    do {
      r = ::sendto(sock_.native_handle(), d.data(), d.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                   to.data(), static_cast<socklen_t>(to.size()));
    } while (r < 0 && errno == EINTR);
    if (r < 0 || static_cast<size_t>(r) != d.size()) {
      stats_.send_dropped.fetch_add(1, std::memory_order_relaxed);
      return 0;
    }
    stats_.datagrams_out.fetch_add(1, std::memory_order_relaxed);
    stats_.bytes_out.fetch_add(d.size(), std::memory_order_relaxed);
    return 1;
  }
  constexpr size_t chunk = 64;
  size_t sent = 0, bytes = 0;
  if (gso_ && datagrams.size() > 1) {
    bool refused = false;
    sent = send_offloaded(to, datagrams, bytes, refused);
    if (!refused) {
      if (sent < datagrams.size())
        stats_.send_dropped.fetch_add(datagrams.size() - sent, std::memory_order_relaxed);
      stats_.datagrams_out.fetch_add(sent, std::memory_order_relaxed);
      stats_.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
      return sent;
    }
    // the kernel refused segmentation offload (no checksum offload on the
    // way out, a path MTU below the datagrams): plain datagrams from now
    // on, the rest of these included
    gso_ = false;
  }
  std::array<mmsghdr, chunk> hdrs;
  std::array<iovec, chunk> iov;
  while (sent < datagrams.size()) {
    size_t n = std::min(chunk, datagrams.size() - sent);
    for (size_t i = 0; i < n; ++i) {
      auto d = datagrams[sent + i];
      iov[i].iov_base = const_cast<uint8_t*>(d.data());
      iov[i].iov_len = d.size();
      hdrs[i] = mmsghdr{};
      hdrs[i].msg_hdr.msg_name = const_cast<sockaddr*>(to.data());
      hdrs[i].msg_hdr.msg_namelen = static_cast<socklen_t>(to.size());
      hdrs[i].msg_hdr.msg_iov = &iov[i];
      hdrs[i].msg_hdr.msg_iovlen = 1;
    }
    int r = ::sendmmsg(sock_.native_handle(), hdrs.data(), static_cast<unsigned>(n),
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r <= 0) {
      if (r < 0 && errno == EINTR)
        continue;
      break; // refused (buffer full, unreachable): KCP retransmits
    }
    for (int i = 0; i < r; ++i)
      bytes += datagrams[sent + static_cast<size_t>(i)].size();
    sent += static_cast<size_t>(r);
    if (static_cast<size_t>(r) < n)
      break;
  }
  if (sent < datagrams.size())
    stats_.send_dropped.fetch_add(datagrams.size() - sent, std::memory_order_relaxed);
  stats_.datagrams_out.fetch_add(sent, std::memory_order_relaxed);
  stats_.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  return sent;
}

size_t udp_socket::send_offloaded(const endpoint& to,
                                  std::span<const std::span<const uint8_t>> datagrams,
                                  size_t& bytes, bool& refused) {
  constexpr size_t max_msgs = 16;
  constexpr size_t max_iov = 128;
  std::array<mmsghdr, max_msgs> hdrs;
  std::array<iovec, max_iov> iov;
  std::array<size_t, max_msgs> count{};  // datagrams in each message
  std::array<cmsg_space, max_msgs> control;
  size_t sent = 0;
  while (sent < datagrams.size()) {
    // group the next datagrams into runs: one message each
    size_t m = 0, v = 0, at = sent;
    while (at < datagrams.size() && m < max_msgs && v < max_iov) {
      size_t seg = datagrams[at].size();
      size_t k = 0, total = 0;
      while (at + k < datagrams.size() && v + k < max_iov && k < max_offload_segments) {
        size_t len = datagrams[at + k].size();
        if (len > seg || total + len > max_offload_payload)
          break;
        iov[v + k] = iovec{const_cast<uint8_t*>(datagrams[at + k].data()), len};
        total += len;
        ++k;
        if (len < seg)
          break; // a shorter datagram ends its run
      }
      if (k == 0)
        break; // (only when a single datagram exceeds the payload bound)
      hdrs[m] = mmsghdr{};
      auto& h = hdrs[m].msg_hdr;
      h.msg_name = const_cast<sockaddr*>(to.data());
      h.msg_namelen = static_cast<socklen_t>(to.size());
      h.msg_iov = &iov[v];
      h.msg_iovlen = k;
      if (k > 1) {
        h.msg_control = control[m].bytes;
        h.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
        auto* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        auto s16 = static_cast<uint16_t>(seg);
        std::memcpy(CMSG_DATA(c), &s16, sizeof(s16));
      }
      count[m] = k;
      at += k;
      v += k;
      ++m;
    }
    if (m == 0)
      break;
    int r = ::sendmmsg(sock_.native_handle(), hdrs.data(), static_cast<unsigned>(m),
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR)
      continue;
    // sendmmsg fails only when its first message does
    if (r < 0 && count[0] > 1
        && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP)) {
      refused = true;
      break;
    }
    if (r <= 0)
      break; // refused (buffer full, unreachable): KCP retransmits
    for (int i = 0; i < r; ++i) {
      for (size_t j = 0; j < count[static_cast<size_t>(i)]; ++j)
        bytes += datagrams[sent + j].size();
      sent += count[static_cast<size_t>(i)];
      if (count[static_cast<size_t>(i)] > 1)
        stats_.offload_sends.fetch_add(1, std::memory_order_relaxed);
    }
    if (static_cast<size_t>(r) < m)
      break;
  }
  return sent;
}

void udp_socket::close() {
  boost::system::error_code ec;
  sock_.close(ec);
}

} // namespace skywire::io
