#include "runtime/io/udp_socket.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace skywire::io {

namespace asio = boost::asio;

struct udp_socket::rx_state {
  std::vector<uint8_t> buffer;
  std::vector<sockaddr_storage> from;
  std::vector<iovec> iov;
  std::vector<mmsghdr> hdrs;
};

udp_socket::udp_socket(asio::io_context& ctx, options opts)
  : sock_(ctx), opts_(opts), rx_(std::make_unique<rx_state>()) {
  opts_.batch = std::clamp<size_t>(opts_.batch, 1, 1024);
  opts_.rounds = std::max<size_t>(opts_.rounds, 1);
  opts_.buffer_size = std::clamp<size_t>(opts_.buffer_size, 64, 65536);
  rx_->buffer.resize(opts_.batch * opts_.buffer_size);
  rx_->from.resize(opts_.batch);
  rx_->iov.resize(opts_.batch);
  rx_->hdrs.resize(opts_.batch);
  batch_.reserve(opts_.batch);
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
  return s;
}

bool udp_socket::is_open() const noexcept {
  return sock_.is_open();
}

void udp_socket::start(batch_fn fn) {
  on_batch_ = std::move(fn);
  wait_readable();
}

void udp_socket::wait_readable() {
  if (!sock_.is_open())
    return;
  sock_.async_wait(asio::socket_base::wait_read,
                   [self = shared_from_this()](const boost::system::error_code& ec) {
                     if (ec || !self->sock_.is_open())
                       return;
                     self->drain();
                     self->wait_readable();
                   });
}

void udp_socket::drain() {
  auto& rx = *rx_;
  for (size_t round = 0; round < opts_.rounds && sock_.is_open(); ++round) {
    for (size_t i = 0; i < opts_.batch; ++i) {
      rx.iov[i].iov_base = rx.buffer.data() + i * opts_.buffer_size;
      rx.iov[i].iov_len = opts_.buffer_size;
      std::memset(&rx.hdrs[i], 0, sizeof(mmsghdr));
      rx.hdrs[i].msg_hdr.msg_name = &rx.from[i];
      rx.hdrs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      rx.hdrs[i].msg_hdr.msg_iov = &rx.iov[i];
      rx.hdrs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::recvmmsg(sock_.native_handle(), rx.hdrs.data(), static_cast<unsigned>(opts_.batch),
                       MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return;
      if (errno != EINTR)
        stats_.receive_errors.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (n == 0)
      return;
    batch_.clear();
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      const auto& h = rx.hdrs[i];
      datagram d;
      auto len = std::min<size_t>(h.msg_len, opts_.buffer_size);
      d.bytes = {rx.buffer.data() + i * opts_.buffer_size, len};
      d.truncated = (h.msg_hdr.msg_flags & MSG_TRUNC) != 0;
      auto namelen = std::min<size_t>(h.msg_hdr.msg_namelen, d.from.capacity());
      std::memcpy(d.from.data(), h.msg_hdr.msg_name, namelen);
      d.from.resize(namelen);
      stats_.datagrams_in.fetch_add(1, std::memory_order_relaxed);
      stats_.bytes_in.fetch_add(h.msg_len, std::memory_order_relaxed);
      if (d.truncated)
        stats_.truncated_in.fetch_add(1, std::memory_order_relaxed);
      batch_.push_back(d);
    }
    if (on_batch_)
      on_batch_(batch_);
    if (static_cast<size_t>(n) < opts_.batch)
      return; // the queue is empty
  }
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
  constexpr size_t chunk = 64;
  std::array<mmsghdr, chunk> hdrs;
  std::array<iovec, chunk> iov;
  size_t sent = 0, bytes = 0;
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

void udp_socket::close() {
  boost::system::error_code ec;
  sock_.close(ec);
}

} // namespace skywire::io
