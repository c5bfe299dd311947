// A minimal, synchronous dmsg client for server tests, built from the same
// building blocks (Noise XK initiator, yamux codec, dmsg objects) over a
// blocking loopback socket with poll()-based deadlines. One test thread drives
// several of them in turn; nothing here blocks without a deadline.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "actors/dmsg/objects.hpp"
#include "messages/wire/yamux/frame.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/handshake.hpp"

namespace dmsg_server_test {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace ym = skywire::wire::yamux;
namespace nz = skywire::crypto::noise;
using bytes = std::vector<uint8_t>;

struct frame {
  ym::header hdr;
  bytes body;
};

class raw_client {
public:
  explicit raw_client(skywire::crypto::keypair kp = skywire::crypto::generate_keypair())
    : kp_(kp), sock_(ctx_) {}

  const skywire::crypto::keypair& keys() const { return kp_; }
  const skywire::public_key& pk() const { return kp_.pk; }

  bool connect(uint16_t port) {
    boost::system::error_code ec;
    sock_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    if (!ec)
      sock_.set_option(asio::ip::tcp::no_delay(true), ec);
    return !ec;
  }

  /// A small fixed receive buffer (no autotuning): a client that stops
  /// reading pushes back on the server at once.
  void set_receive_buffer(int n) {
    ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVBUF, &n, sizeof n);
  }

  void send_raw(const bytes& b) {
    boost::system::error_code ec;
    asio::write(sock_, asio::buffer(b), ec);
  }

  /// Full XK handshake as initiator; false on any failure.
  bool handshake(const skywire::public_key& server, const bytes& extra = {}) {
    nz::handshake::config cfg;
    cfg.pattern = nz::pattern_kind::xk;
    cfg.side = nz::role::initiator;
    cfg.local = kp_;
    cfg.remote = server;
    auto hs = nz::handshake::make(cfg);
    if (!hs)
      return false;
    bytes out;
    if (hs->write_frame(out))
      return false;
    send_raw(out);
    auto m2 = read_exact(2 + 49, 3s);
    if (!m2)
      return false;
    if (hs->read_message(skywire::byte_span{*m2}.subspan(2)))
      return false;
    out.clear();
    if (hs->write_frame(out))
      return false;
    out.insert(out.end(), extra.begin(), extra.end());
    send_raw(out);
    auto s = hs->split();
    if (!s)
      return false;
    sess_ = std::move(*s);
    return true;
  }

  bool connect_and_handshake(uint16_t port, const skywire::public_key& server) {
    return connect(port) && handshake(server);
  }

  // -- yamux -------------------------------------------------------------------------

  void send_frame(ym::frame_type t, uint16_t flags, uint32_t id, uint32_t len,
                  const bytes& body = {}) {
    bytes out;
    ym::header h{ym::protocol_version, t, flags, id, len};
    ym::append_frame(out, h, body);
    send_raw(out);
  }
  void send_data(uint32_t id, const bytes& body, uint16_t flags = 0) {
    send_frame(ym::frame_type::data, flags, id, static_cast<uint32_t>(body.size()), body);
  }

  /// The next frame within `timeout`, answering server pings; nullopt on
  /// timeout, EOF or a parse error (eof() tells which).
  std::optional<frame> next(std::chrono::milliseconds timeout = 3000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (buf_.size() >= ym::header_size) {
        auto h = ym::decode_header(buf_);
        if (!h)
          return std::nullopt;
        size_t body = h->type == ym::frame_type::data ? h->length : 0;
        if (buf_.size() >= ym::header_size + body) {
          frame f{*h, bytes(buf_.begin() + ym::header_size,
                            buf_.begin() + static_cast<std::ptrdiff_t>(ym::header_size + body))};
          buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(ym::header_size + body));
          if (f.hdr.type == ym::frame_type::ping && f.hdr.has(ym::flag::syn) && answer_pings_) {
            send_frame(ym::frame_type::ping, ym::flag::ack, 0, f.hdr.length);
            continue;
          }
          if (f.hdr.type == ym::frame_type::window_update && f.hdr.length > 0)
            send_window_[f.hdr.stream_id] += f.hdr.length;
          return f;
        }
      }
      if (!fill(deadline))
        return std::nullopt;
    }
  }

  /// Reads until the peer closes (true) or the deadline passes (false).
  bool wait_eof(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      buf_.clear();
      if (!fill(deadline))
        return eof_;
    }
  }
  bool eof() const { return eof_; }
  void answer_pings(bool on) { answer_pings_ = on; }

  // -- dmsg streams ------------------------------------------------------------------

  /// Opens stream `id` with a signed request to dst; returns the request.
  skywire::dmsg::signed_request open_stream(uint32_t id, const skywire::address& dst,
                                            uint16_t src_port = 49152) {
    skywire::wire::dmsg::stream_request req;
    req.timestamp = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    req.src = {kp_.pk, skywire::port{src_port}};
    req.dst = dst;
    req.noise_msg.assign(49, 0x42); // the server never looks inside
    auto sr = skywire::dmsg::make_stream_request(req, kp_.sk);
    send_object(id, sr.bytes, ym::flag::syn);
    return sr;
  }

  void send_object(uint32_t id, const bytes& signed_bytes, uint16_t flags = 0) {
    bytes obj;
    (void) skywire::dmsg::seal_object(sess_, signed_bytes, obj);
    if (flags & ym::flag::syn)
      send_frame(ym::frame_type::window_update, ym::flag::syn, id, 0);
    send_data(id, obj);
  }

  /// Reads data frames of stream `id` until one object is complete; decrypts.
  std::optional<bytes> read_object(uint32_t id, std::chrono::milliseconds timeout = 3000ms,
                                   bytes* leftover = nullptr) {
    skywire::dmsg::object_reader rd;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!rd.complete()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      auto f = next(left);
      if (!f)
        return std::nullopt;
      if (f->hdr.stream_id != id)
        continue;
      if (f->hdr.has(ym::flag::rst))
        return std::nullopt;
      if (f->hdr.type == ym::frame_type::data && !f->body.empty())
        if (!rd.feed(f->body))
          return std::nullopt;
    }
    if (leftover)
      *leftover = rd.leftover();
    auto p = rd.open(sess_);
    if (!p)
      return std::nullopt;
    return *p;
  }

  /// Waits for the first frame of a server-opened stream (SYN); returns its id.
  std::optional<uint32_t> accept_stream(std::chrono::milliseconds timeout = 3000ms) {
    auto f = next(timeout);
    while (f && !f->hdr.has(ym::flag::syn))
      f = next(timeout);
    if (!f)
      return std::nullopt;
    send_frame(ym::frame_type::window_update, ym::flag::ack, f->hdr.stream_id, 0);
    return f->hdr.stream_id;
  }

  /// Answers a relayed request on stream id (accepted), as client B does.
  bool respond(uint32_t id, const skywire::dmsg::signed_request& req) {
    skywire::wire::dmsg::stream_response resp;
    resp.req_hash = req.hash;
    resp.accepted = true;
    resp.noise_msg.assign(49, 0x24);
    auto sr = skywire::dmsg::make_stream_response(resp, kp_.sk);
    send_object(id, sr.bytes);
    return true;
  }

  /// Reads `n` bytes of stream data on `id`, granting the window back as it goes.
  std::optional<bytes> read_data(uint32_t id, size_t n, std::chrono::milliseconds timeout = 5000ms,
                                 bool* fin = nullptr) {
    bytes out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      auto f = next(left);
      if (!f)
        return std::nullopt;
      if (f->hdr.stream_id != id)
        continue;
      if (f->hdr.has(ym::flag::rst))
        return std::nullopt;
      if (!f->body.empty()) {
        out.insert(out.end(), f->body.begin(), f->body.end());
        send_frame(ym::frame_type::window_update, 0, id, static_cast<uint32_t>(f->body.size()));
      }
      if (f->hdr.has(ym::flag::fin)) {
        if (fin)
          *fin = true;
        break;
      }
    }
    return out;
  }

  /// Credit the server granted on a stream (beyond the initial window).
  uint64_t granted(uint32_t id) const {
    auto i = send_window_.find(id);
    return i == send_window_.end() ? 0 : i->second;
  }

  void close() {
    boost::system::error_code ec;
    sock_.close(ec);
  }

  nz::session& session() { return sess_; }

private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (eof_)
      return false;
    if (left.count() < 0)
      left = std::chrono::milliseconds{0}; // one non-blocking look
    pollfd p{sock_.native_handle(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r <= 0)
      return false;
    uint8_t tmp[65536];
    auto n = ::recv(sock_.native_handle(), tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.insert(buf_.end(), tmp, tmp + n);
    return true;
  }

  std::optional<bytes> read_exact(size_t n, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buf_.size() < n)
      if (!fill(deadline))
        return std::nullopt;
    bytes out(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    return out;
  }

  skywire::crypto::keypair kp_;
  asio::io_context ctx_;
  asio::ip::tcp::socket sock_;
  nz::session sess_;
  bytes buf_;
  bool eof_ = false;
  bool answer_pings_ = true;
  std::map<uint32_t, uint64_t> send_window_;
};

} // namespace dmsg_server_test
