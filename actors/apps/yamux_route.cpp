#include "actors/apps/yamux_route.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/send.hpp>

#include "messages/wire/socks5/server.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/yamux/errors.hpp"

namespace skywire::apps {

namespace asio = boost::asio;
namespace socks5 = wire::socks5;
using tcp = asio::ip::tcp;
using byte_vec = std::vector<uint8_t>;

namespace {

constexpr const char* component = "skysocks";
/// A connect to a SOCKS target that takes longer is answered "TTL expired".
constexpr auto connect_timeout = std::chrono::seconds{10};
/// An HTTP proxy client that sends no complete head within this is answered 408.
constexpr auto http_head_timeout = std::chrono::seconds{30};
/// No SOCKS reply from the server within this (its own connect gives up
/// after 10 s, the Go server's only with the OS): 504.
constexpr auto http_handshake_timeout = std::chrono::seconds{20};
/// After an error answer: how long the connection stays open for the client
/// to read it and close, its further bytes read and dropped. A close with
/// unread bytes sends an RST, which can destroy the answer before the
/// client read it.
constexpr auto http_linger = std::chrono::seconds{2};

socks5::target bound_of(const tcp::endpoint& ep) {
  socks5::target t;
  t.port = ep.port();
  auto a = ep.address();
  if (a.is_v4()) {
    t.type = socks5::target::kind::ipv4;
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), t.ip.begin());
  } else {
    t.type = socks5::target::kind::ipv6;
    auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), t.ip.begin());
  }
  return t;
}

/// The reply code for a failed connect, as armon/go-socks5 chooses it.
socks5::reply_code reply_for(const boost::system::error_code& ec) {
  if (ec == asio::error::connection_refused)
    return socks5::reply_code::connection_refused;
  if (ec == asio::error::network_unreachable)
    return socks5::reply_code::network_unreachable;
  if (ec == asio::error::timed_out || ec == asio::error::operation_aborted)
    return socks5::reply_code::ttl_expired;
  return socks5::reply_code::host_unreachable;
}

bool clean_end(const boost::system::error_code& ec) {
  return !ec || ec == asio::error::eof || ec == asio::error::operation_aborted;
}

} // namespace

/// One stream and its socket.
struct yamux_route::pipe {
  uint32_t id = 0;
  bool has_stream = false;
  io::stream_connection_ptr conn;
  bool socket_started = false;
  bool socket_closed = false;
  bool stream_done = false;     ///< nothing more comes from the stream (FIN, reset, closed)
  bool local_closed = false;    ///< our side of the stream is closed (FIN or RST sent)
  bool close_when_drained = false;
  bool reset_socket = false;
  bool paused = false;
  size_t read_size = 0;         ///< the socket's largest read (socket_read_size())
  uint64_t socket_queued = 0;   ///< bytes handed to the socket, not yet sent
  uint64_t own_queued = 0;      ///< of those, our own (a greeting's or a CONNECT's early answer, an HTTP proxy's): never credited
  // client
  bool first_read = true;
  greeting_tap tap;
  connect_tap ctap;
  // socks server
  std::unique_ptr<socks5::server_handshake> hs;
  bool connecting = false;
  byte_vec early;               ///< stream bytes that came while connecting
  std::shared_ptr<tcp::resolver> resolver;
  std::shared_ptr<tcp::socket> sock;
  std::shared_ptr<asio::steady_timer> timer; ///< also the HTTP proxy's deadlines
  // HTTP proxy (client)
  std::unique_ptr<http_proxy_exchange> http; ///< until the bytes are piped
  bool linger = false;       ///< after an error answer: read to the client's end, then close
};

std::shared_ptr<yamux_route> yamux_route::make(routing::route_group_core_ptr core,
                                               asio::io_context& shard, config cfg,
                                               end_fn on_end) {
  // It dies on its shard (its sockets, resolvers and timers live there),
  // never inside one of its own calls, whoever drops the last reference
  // (the app actor's mailbox, on its thread, may be the last holder). A post
  // that never runs (the io runtime stopped) deletes it with the handler.
  return std::shared_ptr<yamux_route>(
    new yamux_route(std::move(core), shard, std::move(cfg), std::move(on_end)),
    [&shard](yamux_route* p) { asio::post(shard, [owned = std::unique_ptr<yamux_route>(p)] {}); });
}

yamux_route::yamux_route(routing::route_group_core_ptr core, asio::io_context& shard, config cfg,
                         end_fn on_end)
  : core_(std::move(core)),
    shard_(shard),
    cfg_(std::move(cfg)),
    on_end_(std::move(on_end)),
    session_(cfg_.m == mode::client ? yamux::session::role::client
                                    : yamux::session::role::server,
             session_hooks(), cfg_.lim) {
}

yamux_route::~yamux_route() = default;

yamux::session::hooks yamux_route::session_hooks() {
  yamux::session::hooks h;
  h.send = [this](yamux::byte_span b) {
    using r = yamux::session::send_result;
    switch (core_->write(b)) {
      case routing::route_group_core::write_result::ok: return r::ok;
      case routing::route_group_core::write_result::queue_full: return r::busy;
      default: return r::failed;
    }
  };
  h.on_accept = [this](uint32_t id) { on_accept(id); };
  h.on_end = [this](const caf::error& err) {
    if (on_end_) {
      auto fn = std::move(on_end_);
      on_end_ = nullptr;
      fn(err);
    }
  };
  return h;
}

void yamux_route::install() {
  std::weak_ptr<yamux_route> w = shared_from_this();
  core_->set_sink([w](std::vector<uint8_t>&& b) {
    if (auto m = w.lock())
      m->feed(std::move(b));
  });
  core_->set_drain_fn([w] {
    if (auto m = w.lock())
      m->session_.carrier_writable();
  });
}

void yamux_route::prefix(const std::vector<uint8_t>& bytes) {
  if (!holding_)
    return;
  holding_ = false;
  auto self = shared_from_this(); // the session's callbacks may end us otherwise
  if (!bytes.empty()) {
    session_.on_carrier_data({bytes.data(), bytes.size()});
    core_->consumed(bytes.size());
  }
  auto held = std::move(held_);
  held_.clear();
  for (auto& b : held)
    feed(std::move(b));
}

void yamux_route::feed(std::vector<uint8_t>&& bytes) {
  if (holding_) {
    held_.push_back(std::move(bytes));
    return;
  }
  auto n = bytes.size();
  session_.on_carrier_data({bytes.data(), bytes.size()});
  core_->consumed(n); // the yamux windows bound what the streams hold
}

void yamux_route::carrier_closed(const caf::error& err) {
  session_.carrier_closed(err);
}

void yamux_route::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  auto self = shared_from_this();
  auto heads = std::move(heads_); // HTTP proxy clients still sending their head
  heads_.clear();
  for (auto& [raw, p] : heads) {
    if (p->timer)
      p->timer->cancel();
    p->conn->close_with_reset();
  }
  session_.shutdown();
  // sockets still draining (an HTTP proxy's error answer, bytes queued for
  // a slow reader) would wait for a drain report nobody takes any more
  for (auto& [id, p] : pipes_)
    if (p->conn && !p->socket_closed)
      p->conn->close_with_reset();
  core_->set_sink({});
  core_->set_drain_fn({});
}

// -- streams ---------------------------------------------------------------------------

yamux::session::stream_handler yamux_route::handler_for(const pipe_ptr& p) {
  // on_data and on_fin run inside the session's stream, which they may
  // remove (a reset destroys this handler): they work on copies of what
  // they captured, never on the lambda's own members.
  yamux::session::stream_handler h;
  h.on_data = [this, p](yamux::byte_span b) {
    auto* self = this;
    auto pp = p;
    if (pp->hs)
      self->socks_data(pp, b);
    else if (pp->http)
      self->http_from_stream(pp, b);
    else
      self->stream_data(pp, b);
  };
  h.on_fin = [this, p] {
    auto* self = this;
    auto pp = p;
    self->stream_ended(pp, false, false);
  };
  h.on_closed = [this, p] {
    auto* self = this;
    auto pp = p;
    self->stream_ended(pp, false, true);
  };
  h.on_reset = [this, p](const caf::error&) {
    auto* self = this;
    auto pp = p;
    self->stream_ended(pp, true, true);
  };
  h.on_writable = [p] {
    if (p->paused && !p->socket_closed && p->conn && !p->http) {
      p->paused = false;
      p->conn->resume_reading();
    }
  };
  return h;
}

bool yamux_route::refused(const io::stream_connection_ptr& conn) {
  if (!session_.ended() && !stopped_ && pipes_.size() + heads_.size() < cfg_.max_pipes)
    return false;
  conn->close_with_reset();
  return true;
}

void yamux_route::adopt(io::stream_connection_ptr conn) {
  if (refused(conn))
    return;
  auto p = std::make_shared<pipe>();
  p->conn = std::move(conn);
  auto id = session_.open(handler_for(p));
  if (!id) {
    p->conn->close_with_reset();
    return;
  }
  p->id = *id;
  p->has_stream = true;
  pipes_[p->id] = p;
  ++stats_.pipes_opened;
  start_socket(p);
}

void yamux_route::adopt_http(io::stream_connection_ptr conn) {
  if (refused(conn))
    return;
  auto p = std::make_shared<pipe>();
  p->conn = std::move(conn);
  p->http = std::make_unique<http_proxy_exchange>();
  p->first_read = false; // not a SOCKS client: no greeting shortcut (socks_greeting.hpp)
  heads_[p.get()] = p;
  http_deadline(p, http_head_timeout, 408, "no complete request head within 30 s");
  start_socket(p);
}

void yamux_route::on_accept(uint32_t id) {
  if (cfg_.m != mode::socks_server || pipes_.size() >= cfg_.max_pipes || stopped_) {
    session_.reset(id);
    return;
  }
  auto p = std::make_shared<pipe>();
  p->id = id;
  p->has_stream = true;
  p->hs = std::make_unique<socks5::server_handshake>(cfg_.passcode);
  pipes_[id] = p;
  session_.set_handler(id, handler_for(p));
}

void yamux_route::start_socket(const pipe_ptr& p) {
  std::weak_ptr<yamux_route> w = shared_from_this();
  std::weak_ptr<pipe> wp = p;
  io::stream_connection::callbacks cbs;
  cbs.on_data = [w, wp](byte_vec&& b) {
    auto m = w.lock();
    auto pp = wp.lock();
    if (m && pp)
      m->from_socket(pp, std::move(b));
  };
  cbs.on_sent = [w, wp](size_t n) {
    auto m = w.lock();
    auto pp = wp.lock();
    if (m && pp)
      m->socket_sent(pp, n);
  };
  cbs.on_closed = [w, wp](const boost::system::error_code& ec) {
    auto m = w.lock();
    auto pp = wp.lock();
    if (m && pp)
      m->socket_closed(pp, ec);
  };
  // a peer keeping to its window never fills this
  p->conn->set_max_queued(size_t{cfg_.lim.recv_window} + 256 * 1024);
  p->socket_started = true;
  p->read_size = socket_read_size();
  p->conn->start(std::move(cbs), p->read_size);
}

size_t yamux_route::socket_read_size() const noexcept {
  // a read is held whole until the stream framed all of it: with many
  // sockets, each reads less, so that what they hold stays near the
  // session's bound (32 sockets: 32 KiB each, 1 MiB together)
  constexpr size_t most = 64 * 1024, least = 16 * 1024;
  return std::clamp(session_unsent / std::max<size_t>(pipes_.size(), 1), least, most);
}

void yamux_route::from_socket(const pipe_ptr& p, byte_vec&& bytes) {
  if (p->http)
    return http_from_socket(p, std::move(bytes));
  if (p->local_closed || !p->has_stream || bytes.empty())
    return;
  stats_.to_route += bytes.size();
  std::optional<greeting_cache::reply> answer;
  std::optional<std::vector<uint8_t>> connect_answer;
  if (cfg_.m == mode::client && p->first_read) {
    p->first_read = false;
    answer = p->tap.first_from_client({bytes.data(), bytes.size()}, greetings_);
  } else if (cfg_.m == mode::client && p->ctap.active()) {
    connect_answer = p->ctap.from_client({bytes.data(), bytes.size()}, p->tap.method(), connects_,
                                         std::chrono::steady_clock::now());
  }
  if (!session_.write(p->id, std::move(bytes)))
    return;
  if (auto want = socket_read_size(); want != p->read_size) { // pipes came or went
    p->read_size = want;
    p->conn->set_max_read(want);
  }
  if (answer && p->conn->write(byte_vec(answer->begin(), answer->end()))) {
    // the server's answer (the same) is dropped when it comes
    p->socket_queued += answer->size();
    p->own_queued += answer->size();
    ++stats_.greetings_answered;
  }
  if (connect_answer) {
    auto n = connect_answer->size();
    if (p->conn->write(std::move(*connect_answer))) {
      // the server's success is dropped when it comes (socks_connect.hpp)
      p->socket_queued += n;
      p->own_queued += n;
      ++stats_.connects_answered;
    }
  }
  if (session_.saturated())
    return pause_all_sockets();
  if (!p->paused && !session_.writable(p->id) && !p->socket_closed) {
    p->paused = true;
    p->conn->pause_reading();
  }
}

void yamux_route::pause_all_sockets() {
  // the session's bound is for all streams together: every socket stops
  // now, not each after one more read of its own (32 sockets reading 64 KiB
  // each held 3 MB against a 1 MiB mark); the session wakes each stream
  // (on_writable) once it is below its half mark
  for (auto& [_, q] : pipes_) {
    if (q->paused || q->socket_closed || !q->socket_started || !q->conn || q->http)
      continue;
    q->paused = true;
    q->conn->pause_reading();
  }
}

void yamux_route::socket_sent(const pipe_ptr& p, size_t n) {
  p->socket_queued = n > p->socket_queued ? 0 : p->socket_queued - n;
  // our own bytes are never credited: counted first, though a greeting
  // answer of the server's may sit before our CONNECT answer (the totals
  // are the same, a credit comes a few bytes later)
  auto own = std::min<uint64_t>(n, p->own_queued);
  p->own_queued -= own;
  n -= own;
  if (p->has_stream && n > 0)
    session_.consumed(p->id, n);
  maybe_close_socket(p);
}

void yamux_route::socket_closed(const pipe_ptr& p, const boost::system::error_code& ec) {
  if (p->socket_closed)
    return;
  p->socket_closed = true;
  if (p->http) {
    // the client left before its bytes were piped (or after our error answer)
    http_abandon(p);
    maybe_forget(p);
    return;
  }
  end_local(p, clean_end(ec) && !p->reset_socket);
  maybe_forget(p);
}

void yamux_route::end_local(const pipe_ptr& p, bool clean) {
  if (p->local_closed || !p->has_stream)
    return;
  p->local_closed = true;
  if (clean) {
    session_.close(p->id); // FIN after what the socket gave us
  } else {
    p->has_stream = false;
    p->stream_done = true;
    session_.reset(p->id);
  }
}

void yamux_route::stream_data(const pipe_ptr& p, yamux::byte_span bytes) {
  if (p->connecting) {
    // credited once the socket has sent them
    p->early.insert(p->early.end(), bytes.begin(), bytes.end());
    return;
  }
  if (p->socket_closed || !p->conn) {
    session_.consumed(p->id, bytes.size()); // nowhere to go: the stream ends soon
    return;
  }
  if (cfg_.m == mode::client && (!p->tap.done() || p->ctap.active()))
    return tapped_stream_data(p, bytes);
  to_socket(p, bytes);
}

void yamux_route::tapped_stream_data(const pipe_ptr& p, yamux::byte_span bytes) {
  auto reset = [&](const char* why) {
    SKYWIRE_LOG(info, component, why, log::kv("stream", p->id));
    session_.consumed(p->id, bytes.size());
    p->reset_socket = true;
    end_local(p, false);
    ++stats_.sockets_reset;
    p->conn->close_with_reset();
  };
  // the greeting's answer first (socks_greeting.hpp) ...
  auto o = p->tap.from_server(bytes, greetings_);
  if (o.mismatch)
    return reset("the server answered a greeting otherwise: resetting the connection");
  if (o.drop > 0) {
    session_.consumed(p->id, o.drop); // our answer's echo: not for the socket
  } else if (o.taken > 0) {
    to_socket(p, bytes.first(o.taken));
    if (p->conn->closed()) { // it failed: nowhere for the rest to go
      if (p->has_stream)
        session_.consumed(p->id, bytes.size() - o.taken);
      return;
    }
  }
  bytes = bytes.subspan(o.taken);
  if (bytes.empty())
    return;
  // ... then the CONNECT's reply (socks_connect.hpp)
  auto c = p->ctap.from_server(bytes, connects_, std::chrono::steady_clock::now());
  if (c.mismatch)
    return reset("the server failed a CONNECT answered early: resetting the connection");
  if (c.drop > 0) {
    session_.consumed(p->id, c.drop); // the success we gave already
    bytes = bytes.subspan(c.drop);
  }
  to_socket(p, bytes);
}

void yamux_route::to_socket(const pipe_ptr& p, yamux::byte_span bytes) {
  auto n = bytes.size();
  if (n == 0)
    return;
  p->socket_queued += n;
  stats_.to_sockets += n;
  size_t copied = 0;
  std::array<yamux::byte_span, 1> parts{bytes};
  if (p->conn->write_gather(parts, copied))
    return;
  p->socket_queued -= n;
  stats_.to_sockets -= n;
  if (p->conn->closed()) {
    // the local side ended; its on_closed follows and ends the stream
    if (p->has_stream)
      session_.consumed(p->id, n);
    return;
  }
  SKYWIRE_LOG(info, component, "socket queue full: resetting the stream and the socket",
              log::kv("stream", p->id), log::kv("remote", p->conn->remote_endpoint()));
  p->reset_socket = true;
  end_local(p, false);
  ++stats_.sockets_reset;
  p->conn->close_with_reset();
}

void yamux_route::stream_ended(const pipe_ptr& p, bool reset, bool gone) {
  p->stream_done = true;
  if (gone) {
    p->has_stream = false; // removed from the session: no more calls for it
    p->local_closed = true;
  }
  if (p->http) {
    // before the SOCKS reply: the client gets an answer, not a cut connection
    auto keep = p; // `p` may be the stream handler's, which resetting the stream destroys
    http_apply(keep, keep->http->fail(502, reset ? "the proxy server reset the connection"
                                                 : "the proxy server closed the connection"));
    maybe_forget(keep);
    return;
  }
  // a CONNECT answered early whose reply never came: the application was
  // told success, so the end is not the target's (socks_connect.hpp)
  if (cfg_.m == mode::client && p->ctap.stream_ended(connects_))
    reset = true;
  if (reset)
    p->reset_socket = true;
  if (!p->conn) {
    // a SOCKS stream that ended before its target connection was up
    if (p->resolver)
      p->resolver->cancel();
    if (p->sock) {
      boost::system::error_code ignored;
      p->sock->close(ignored);
    }
    if (p->timer)
      p->timer->cancel();
    p->connecting = false;
    p->socket_closed = true;
    end_local(p, !reset);
    maybe_forget(p);
    return;
  }
  p->close_when_drained = true;
  maybe_close_socket(p);
  maybe_forget(p);
}

void yamux_route::maybe_close_socket(const pipe_ptr& p) {
  if (!p->close_when_drained || p->socket_closed || p->socket_queued > 0 || !p->conn)
    return;
  p->close_when_drained = false;
  if (p->linger)
    return http_linger_close(p);
  if (p->reset_socket) {
    ++stats_.sockets_reset;
    p->conn->close_with_reset();
  } else {
    p->conn->close();
  }
}

void yamux_route::maybe_forget(const pipe_ptr& p) {
  if (!(p->socket_closed && p->stream_done && p->local_closed))
    return;
  heads_.erase(p.get());
  auto i = pipes_.find(p->id);
  if (i != pipes_.end() && i->second == p)
    pipes_.erase(i);
}

// -- HTTP proxy (client side) -----------------------------------------------------------

void yamux_route::http_from_socket(const pipe_ptr& p, byte_vec&& bytes) {
  if (p->socket_closed)
    return;
  http_apply(p, p->http->from_client({bytes.data(), bytes.size()}));
}

void yamux_route::http_from_stream(const pipe_ptr& p, yamux::byte_span bytes) {
  auto a = p->http->from_stream(bytes);
  session_.consumed(p->id, bytes.size() - a.payload.size()); // the payload: once sent
  http_apply(p, std::move(a));
}

void yamux_route::http_apply(pipe_ptr p, http_proxy_exchange::actions&& a) {
  // p is a copy: a failure resets the stream, whose handler may hold the caller's
  if (a.open_stream) {
    ++stats_.http_heads;
    const auto& rq = p->http->request();
    SKYWIRE_LOG(debug, component, "HTTP proxy request", log::kv("target", rq.authority),
                log::kv("connect", rq.tunnel));
    std::optional<uint32_t> id;
    if (!session_.ended() && !stopped_)
      id = session_.open(handler_for(p));
    if (!id) {
      a = p->http->fail(502, "the route to the proxy server is down");
    } else {
      p->id = *id;
      p->has_stream = true;
      pipes_[p->id] = p;
      heads_.erase(p.get());
      ++stats_.pipes_opened;
      if (!p->paused) { // what the client sends next waits for the handshake
        p->paused = true;
        p->conn->pause_reading();
      }
      http_deadline(p, http_handshake_timeout, 504,
                    "the proxy server did not answer within 20 s");
    }
  }
  if (!a.to_stream.empty() && p->has_stream && !p->local_closed)
    session_.write(p->id, {a.to_stream.data(), a.to_stream.size()});
  if (!a.to_client.empty() && !p->socket_closed) {
    auto n = a.to_client.size();
    p->socket_queued += n;
    p->own_queued += n;
    if (!p->conn->write(std::move(a.to_client))) { // closed: on_closed follows
      p->socket_queued -= n;
      p->own_queued -= n;
    }
  }
  if (!a.payload.empty()) {
    if (p->socket_closed)
      session_.consumed(p->id, a.payload.size());
    else
      to_socket(p, std::move(a.payload));
  }
  if (a.pipe) {
    if (p->timer) {
      p->timer->cancel();
      p->timer.reset();
    }
    p->http.reset();
    if (p->paused && !p->socket_closed && session_.writable(p->id)) {
      p->paused = false;
      p->conn->resume_reading();
    }
  }
  if (a.close) {
    ++stats_.http_refused;
    SKYWIRE_LOG(debug, component, "HTTP proxy request refused",
                log::kv("status", p->http->status()), log::kv("why", p->http->why()));
    http_abandon(p);
    p->linger = true;
    p->close_when_drained = true;
    if (p->paused && !p->socket_closed) { // read (and drop) until the client's end
      p->paused = false;
      p->conn->resume_reading();
    }
    maybe_close_socket(p);
    maybe_forget(p);
  }
}

void yamux_route::http_linger_close(const pipe_ptr& p) {
  // the answer is out; the client's end (it closes after a Connection:
  // close answer) closes the socket, else the timer does
  if (p->timer)
    p->timer->cancel();
  p->timer = std::make_shared<asio::steady_timer>(shard_, http_linger);
  std::weak_ptr<pipe> wp = p;
  p->timer->async_wait([wp, t = p->timer.get()](const boost::system::error_code& ec) {
    auto pp = wp.lock();
    if (!ec && pp && pp->timer.get() == t && !pp->socket_closed)
      pp->conn->close();
  });
}

void yamux_route::http_abandon(const pipe_ptr& p) {
  if (p->timer)
    p->timer->cancel();
  if (p->has_stream) {
    end_local(p, false); // RST: the server's connection, if any, is not wanted
  } else {
    p->stream_done = true;
    p->local_closed = true;
  }
}

void yamux_route::http_deadline(const pipe_ptr& p, std::chrono::seconds after, unsigned status,
                                std::string why) {
  if (p->timer)
    p->timer->cancel();
  p->timer = std::make_shared<asio::steady_timer>(shard_, after);
  std::weak_ptr<yamux_route> w = shared_from_this();
  std::weak_ptr<pipe> wp = p;
  p->timer->async_wait([w, wp, t = p->timer.get(), status,
                        why = std::move(why)](const boost::system::error_code& ec) mutable {
    auto m = w.lock();
    auto pp = wp.lock();
    // a timer replaced after it fired is not this exchange's deadline any more
    if (ec || !m || !pp || !pp->http || pp->timer.get() != t || pp->socket_closed)
      return;
    m->http_apply(pp, pp->http->fail(status, std::move(why)));
  });
}

// -- SOCKS5 server side -----------------------------------------------------------------

void yamux_route::socks_data(const pipe_ptr& p, yamux::byte_span bytes) {
  byte_vec out;
  auto st = p->hs->feed(bytes, out);
  session_.consumed(p->id, bytes.size());
  if (!out.empty())
    session_.write(p->id, {out.data(), out.size()});
  if (st == socks5::server_handshake::state::need_more)
    return;
  if (st == socks5::server_handshake::state::refused) {
    SKYWIRE_LOG(debug, component, "SOCKS handshake refused", log::kv("stream", p->id),
                log::kv("why", p->hs->why()));
    ++stats_.pipes_refused;
    p->hs.reset();
    p->socket_closed = true; // there is no socket
    end_local(p, true);
    return;
  }
  // ready: bytes after the request are the first payload (not yet credited:
  // they were credited above as handshake bytes, which bounds them by 1 KiB)
  p->early = p->hs->take_leftover();
  p->connecting = true;
  connect_target(p);
}

void yamux_route::connect_target(const pipe_ptr& p) {
  auto req = p->hs->req();
  p->hs.reset();
  // a name that is an address literal (curl's socks5h sends every host as a
  // name) is connected without a lookup: no round trip through asio's
  // resolver thread, two thread hand-overs on the CONNECT's path
  req.dst = socks5::numeric(std::move(req.dst));
  std::weak_ptr<yamux_route> w = shared_from_this();
  std::weak_ptr<pipe> wp = p;
  p->sock = std::make_shared<tcp::socket>(shard_);
  p->timer = std::make_shared<asio::steady_timer>(shard_, connect_timeout);
  p->timer->async_wait([wp](const boost::system::error_code& ec) {
    auto pp = wp.lock();
    if (ec || !pp || !pp->connecting)
      return;
    if (pp->resolver)
      pp->resolver->cancel();
    boost::system::error_code ignored;
    pp->sock->close(ignored); // the pending connect completes with operation_aborted
  });
  auto on_connect = [w, wp](const boost::system::error_code& ec, const tcp::endpoint&) {
    auto m = w.lock();
    auto pp = wp.lock();
    if (!m || !pp || !pp->connecting)
      return;
    if (ec)
      return m->connect_failed(pp, ec);
    m->connected(pp, std::move(*pp->sock));
  };
  if (req.dst.type != socks5::target::kind::domain) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(req.dst.host_string(), ec);
    if (ec)
      return connect_failed(p, ec);
    std::vector<tcp::endpoint> eps{tcp::endpoint{addr, req.dst.port}};
    asio::async_connect(*p->sock, eps, on_connect);
    return;
  }
  // DNS at the server (off the shard: asio runs getaddrinfo on its resolver thread)
  p->resolver = std::make_shared<tcp::resolver>(shard_);
  p->resolver->async_resolve(
    req.dst.domain, std::to_string(req.dst.port),
    [w, wp, on_connect](const boost::system::error_code& ec, tcp::resolver::results_type res) {
      auto m = w.lock();
      auto pp = wp.lock();
      if (!m || !pp || !pp->connecting)
        return;
      if (ec || res.empty())
        return m->connect_failed(pp, ec ? ec : asio::error::host_not_found);
      asio::async_connect(*pp->sock, res, on_connect);
    });
}

void yamux_route::connected(const pipe_ptr& p, tcp::socket&& connected_sock) {
  tcp::socket sock = std::move(connected_sock); // it lives in p->sock, released below
  p->connecting = false;
  p->timer->cancel();
  p->timer.reset();
  p->resolver.reset();
  boost::system::error_code ec;
  auto local = sock.local_endpoint(ec);
  p->sock.reset();
  if (p->stream_done) {
    sock.close(ec);
    return;
  }
  auto reply = socks5::encode_reply(socks5::reply_code::succeeded, bound_of(local));
  session_.write(p->id, {reply.data(), reply.size()});
  p->conn = io::stream_connection::make(std::move(sock));
  ++stats_.pipes_opened;
  start_socket(p);
  auto early = std::move(p->early);
  p->early.clear();
  if (!early.empty())
    to_socket(p, {early.data(), early.size()});
}

void yamux_route::connect_failed(const pipe_ptr& p, const boost::system::error_code& ec) {
  p->connecting = false;
  if (p->timer)
    p->timer->cancel();
  auto code = reply_for(ec);
  SKYWIRE_LOG(debug, component, "SOCKS target unreachable", log::kv("stream", p->id),
              log::kv("error", ec.message()), log::kv("reply", static_cast<int>(code)));
  ++stats_.pipes_refused;
  if (p->stream_done)
    return;
  auto reply = socks5::encode_reply(code);
  session_.write(p->id, {reply.data(), reply.size()});
  // what came early has nowhere to go
  if (!p->early.empty())
    session_.consumed(p->id, p->early.size());
  p->early.clear();
  p->socket_closed = true;
  end_local(p, true);
  maybe_forget(p);
}

void attach_yamux_route(routing::route_group_core_ptr core, yamux_route::config cfg,
                        caf::actor owner, uint64_t tag) {
  auto c = core;
  bool posted = c->post([core = std::move(core), cfg = std::move(cfg), owner, tag]() mutable {
    auto* shard = io::io_runtime::this_shard();
    if (!shard) {
      caf::anon_send(owner, yamux_end_atom::value, tag,
                     make_error(yamux::yamux_errc::closed, "the route's shard is not an io shard"));
      return;
    }
    auto m = yamux_route::make(std::move(core), *shard, std::move(cfg),
                               [owner, tag](const caf::error& err) {
                                 caf::anon_send(owner, yamux_end_atom::value, tag, err);
                               });
    m->install();
    caf::anon_send(owner, yamux_ready_atom::value, tag, m);
  });
  if (!posted)
    caf::anon_send(owner, yamux_end_atom::value, tag,
                   make_error(yamux::yamux_errc::closed, "the route group has no shard"));
}

} // namespace skywire::apps
