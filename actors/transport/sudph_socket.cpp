#include "actors/transport/sudph_socket.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "actors/transport/ar_client.hpp"
#include "messages/wire/kcp/segment.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/io/shard_timers.hpp"

namespace skywire::transport {

namespace wk = wire::kcp;

namespace {

bool is_holepunch(std::span<const uint8_t> b) {
  auto hp = wire::transport::holepunch_datagram;
  return b.size() == hp.size()
         && std::string_view{reinterpret_cast<const char*>(b.data()), b.size()} == hp;
}

/// Whether a well-formed datagram carries the first segment of a
/// conversation (a PUSH with sn 0): what a dialer's first datagrams hold.
bool opens_conversation(std::span<const uint8_t> datagram) {
  wk::datagram_reader rd{datagram};
  for (;;) {
    auto seg = rd.next();
    if (!seg || !*seg)
      return false;
    if ((*seg)->hdr.cmd == wk::command::push && (*seg)->hdr.sn == 0)
      return true;
  }
}

/// An RFC 5389 header: the top bits clear, the magic cookie, a length that
/// is the rest of the datagram.
bool looks_like_stun(std::span<const uint8_t> b) {
  return b.size() >= 20 && (b[0] & 0xC0) == 0 && b[4] == 0x21 && b[5] == 0x12 && b[6] == 0xA4
         && b[7] == 0x42 && size_t{static_cast<size_t>((b[2] << 8) | b[3])} + 20 == b.size();
}

} // namespace

expected<std::shared_ptr<sudph_socket>> sudph_socket::open(boost::asio::io_context& ctx,
                                                           const std::string& host,
                                                           uint16_t port,
                                                           sudph_socket_config cfg) {
  auto sock = io::udp_socket::open(ctx, host, port, cfg.socket);
  if (!sock)
    return sock.error();
  return std::shared_ptr<sudph_socket>(new sudph_socket(ctx, std::move(*sock), std::move(cfg)));
}

sudph_socket::sudph_socket(boost::asio::io_context& ctx, io::udp_socket_ptr sock,
                           sudph_socket_config cfg)
  : ctx_(ctx), sock_(std::move(sock)), cfg_(std::move(cfg)), rng_(std::random_device{}()) {}

sudph_socket::~sudph_socket() = default;

void sudph_socket::start(accept_fn on_accept) {
  on_accept_ = std::move(on_accept);
  sock_->start([w = weak_from_this()](std::span<const io::udp_socket::datagram> batch) {
    if (auto self = w.lock())
      self->on_batch(batch);
  });
}

void sudph_socket::close() {
  if (closed_)
    return;
  closed_ = true;
  sock_->close();
  if (auto ar = std::exchange(ar_link_, {}))
    ar->abandon();
  auto dials = std::exchange(dials_, {});
  for (auto& [conv, link] : dials)
    link->abandon();
  auto in = std::exchange(incoming_, {});
  for (auto& [key, e] : in)
    e.link->abandon();
  pending_ = 0;
  pending_by_source_.clear();
}

uint32_t sudph_socket::fresh_conv() {
  for (;;) {
    auto c = static_cast<uint32_t>(rng_());
    if (c != 0 && !dials_.contains(c) && !(ar_link_ && ar_link_->conv() == c))
      return c;
  }
}

void sudph_socket::send_holepunch(const endpoint& to) {
  auto hp = wire::transport::holepunch_datagram;
  sock_->send_to(to, {reinterpret_cast<const uint8_t*>(hp.data()), hp.size()});
  ++stats_.holepunch_out;
}

kcp_link_ptr sudph_socket::dial(const endpoint& remote) {
  if (closed_)
    return nullptr;
  send_holepunch(remote);
  auto conv = fresh_conv();
  auto link = kcp_link::make(ctx_, sock_, remote, conv, cfg_.kcp);
  link->set_detach([w = weak_from_this(), conv](kcp_link& l) {
    if (auto self = w.lock())
      if (auto it = self->dials_.find(conv); it != self->dials_.end() && it->second.get() == &l)
        self->dials_.erase(it);
  });
  dials_.emplace(conv, link);
  ++stats_.dials;
  return link;
}

kcp_link_ptr sudph_socket::connect_ar(const endpoint& ar) {
  if (closed_)
    return nullptr;
  if (auto old = std::exchange(ar_link_, {}))
    old->abandon();
  ar_endpoint_ = ar;
  auto link = kcp_link::make(ctx_, sock_, ar, fresh_conv(), cfg_.ar_kcp);
  link->set_detach([w = weak_from_this()](kcp_link& l) {
    if (auto self = w.lock())
      if (self->ar_link_.get() == &l)
        self->ar_link_.reset();
  });
  ar_link_ = link;
  return link;
}

void sudph_socket::confirm(const kcp_link& link) {
  auto it = incoming_.find({link.remote(), link.conv()});
  if (it == incoming_.end() || it->second.link.get() != &link || !it->second.pending)
    return;
  it->second.pending = false;
  --pending_;
  if (auto s = pending_by_source_.find(link.remote().address());
      s != pending_by_source_.end() && --s->second == 0)
    pending_by_source_.erase(s);
}

void sudph_socket::on_batch(std::span<const io::udp_socket::datagram> batch) {
  for (const auto& d : batch) {
    if (closed_)
      break;
    on_datagram(d);
  }
  // each link runs once per batch: its reader gets the bytes, then its ACKs
  // leave together
  auto touched = std::exchange(touched_, {});
  for (auto& link : touched)
    link->end_batch();
  touched.clear();
  if (touched_.empty())
    touched_ = std::move(touched); // keep the capacity
}

void sudph_socket::to_link(const kcp_link_ptr& link, std::span<const uint8_t> datagram) {
  if (link->input_batched(datagram))
    touched_.push_back(link);
}

void sudph_socket::on_datagram(const io::udp_socket::datagram& d) {
  if (d.truncated) {
    ++stats_.dropped_truncated;
    return;
  }
  // 1. the AR's control session
  if (ar_endpoint_ && d.from == *ar_endpoint_) {
    if (auto link = ar_link_) // a copy: the detach may reset ar_link_
      to_link(link, d.bytes);
    return;
  }
  // 2. an outgoing dial, by conversation id
  if (wk::looks_like_kcp(d.bytes)) {
    if (auto conv = wk::peek_conv(d.bytes)) {
      if (auto it = dials_.find(*conv); it != dials_.end() && it->second->remote() == d.from) {
        to_link(it->second, d.bytes);
        return;
      }
    }
  }
  // 3. the listener
  to_listener(d);
}

void sudph_socket::to_listener(const io::udp_socket::datagram& d) {
  if (!wk::looks_like_kcp(d.bytes)) {
    if (on_stun_ && looks_like_stun(d.bytes)) {
      ++stats_.stun_in;
      on_stun_(d.from, d.bytes);
    } else if (is_holepunch(d.bytes)) {
      ++stats_.holepunch_in; // it only opened a NAT mapping toward us
      if (on_holepunch_)
        on_holepunch_(d.from);
    } else
      ++stats_.dropped_not_kcp;
    return;
  }
  auto conv = wk::peek_conv(d.bytes);
  session_key key{d.from, conv.value_or(0)};
  if (auto it = incoming_.find(key); it != incoming_.end()) {
    to_link(it->second.link, d.bytes);
    return;
  }
  // a new session: a whole well-formed datagram opening with data
  if (!conv || !wk::validate_datagram(d.bytes, *conv)) {
    ++stats_.dropped_malformed;
    return;
  }
  if (!opens_conversation(d.bytes)) {
    ++stats_.dropped_malformed;
    return;
  }
  if (!on_accept_) {
    ++stats_.refused_incoming;
    return;
  }
  if (incoming_.size() >= cfg_.max_incoming) {
    ++stats_.refused_incoming;
    return;
  }
  auto& per_source = pending_by_source_[d.from.address()];
  if (pending_ >= cfg_.max_pending || per_source >= cfg_.max_pending_per_source) {
    if (per_source == 0)
      pending_by_source_.erase(d.from.address());
    ++stats_.refused_pending;
    return;
  }
  ++per_source;
  ++pending_;
  auto link = kcp_link::make(ctx_, sock_, d.from, *conv, cfg_.kcp);
  link->set_detach([w = weak_from_this(), key](kcp_link& l) {
    if (auto self = w.lock())
      if (auto it = self->incoming_.find(key);
          it != self->incoming_.end() && it->second.link.get() == &l)
        self->forget_incoming(key);
  });
  incoming_.emplace(key, incoming_entry{link, true});
  io::shard_timers::of(ctx_).schedule(
    cfg_.handshake_deadline, [w = weak_from_this(), wl = std::weak_ptr<kcp_link>(link), key] {
      auto self = w.lock();
      auto l = wl.lock();
      if (!self || !l)
        return;
      if (auto it = self->incoming_.find(key);
          it != self->incoming_.end() && it->second.link == l && it->second.pending) {
        ++self->stats_.expired_pending;
        l->abandon();
      }
    });
  ++stats_.accepted;
  to_link(link, d.bytes);
  on_accept_(link);
}

std::optional<boost::asio::ip::udp::endpoint> parse_udp_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  auto host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']')
      return std::nullopt;
    host = host.substr(1, host.size() - 2);
  }
  auto port_text = text.substr(colon + 1);
  uint16_t port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0)
    return std::nullopt;
  boost::system::error_code aec;
  auto addr = boost::asio::ip::make_address(std::string{host}, aec);
  if (aec)
    return std::nullopt;
  return boost::asio::ip::udp::endpoint{addr, port};
}

std::vector<boost::asio::ip::udp::endpoint>
sudph_dial_candidates(const wire::transport::visor_data& vd) {
  std::vector<boost::asio::ip::udp::endpoint> out;
  for (const auto& text : sudph_dial_addresses(vd)) { // the AR client's order
    auto ep = parse_udp_endpoint(text);
    if (ep && std::find(out.begin(), out.end(), *ep) == out.end())
      out.push_back(*ep);
  }
  return out;
}

void sudph_socket::forget_incoming(const session_key& key) {
  auto it = incoming_.find(key);
  if (it == incoming_.end())
    return;
  if (it->second.pending) {
    --pending_;
    if (auto s = pending_by_source_.find(key.first.address());
        s != pending_by_source_.end() && --s->second == 0)
      pending_by_source_.erase(s);
  }
  incoming_.erase(it);
}

} // namespace skywire::transport
