#include "actors/dmsg/session_io.hpp"

#include "actors/dmsg/stream_accept.hpp"

#include <caf/send.hpp>

#include "actors/dmsg/errors.hpp"
#include "runtime/crypto/noise/ephemeral_pool.hpp"

namespace skywire::dmsg {

namespace yx = wire::yamux;
namespace nz = crypto::noise;

session_io::session_io(params p)
  : p_(std::move(p)), splitter_(yx::parse_limits{stream_core::recv_window_cap}) {
}

session_io::~session_io() = default;

caf::error session_io::start(io::byte_link_ptr conn) {
  conn_ = std::move(conn);
  nz::handshake::config hc;
  hc.pattern = nz::pattern_kind::xk;
  hc.side = nz::role::initiator;
  hc.local = crypto::keypair{p_.client->pk, p_.client->sk};
  hc.remote = p_.server;
  auto hs = nz::handshake::make(std::move(hc));
  if (!hs)
    return make_error(client_errc::invalid_argument, "XK: " + describe(hs.error()));
  hs_.emplace(std::move(*hs));
  byte_buffer out;
  if (auto err = hs_->write_frame(out))
    return make_error(client_errc::protocol, "XK message 1: " + describe(err));
  p_.stats->bytes_out.fetch_add(out.size(), std::memory_order_relaxed);
  // Client sessions are bounded by their streams' windows (and data waits
  // for the queue to drain above session_link::high_water): the queue bound
  // of the connection is only a safety net.
  conn_->set_max_queued(256u * 1024 * 1024);
  // on_sent only wakes streams parked on a long queue (queued writes report
  // it); a report per direct write would cost a wake-up of this thread each.
  conn_->set_direct_send_reports(false);
  io::byte_link::callbacks cbs;
  auto self = shared_from_this();
  cbs.on_span = [self](byte_span b) { self->on_bytes(b); };
  cbs.on_sent = [self](size_t) {
    if (self->link_)
      self->link_->on_sent();
  };
  cbs.on_closed = [self](const boost::system::error_code& ec) {
    self->fail(make_error(dmsg_errc::session_closed,
                          "connection closed: " + (ec ? ec.message() : std::string{"eof"})));
  };
  conn_->write(std::move(out));
  conn_->start(std::move(cbs));
  // Message 1 is out: the server's answer is a round trip away, time to
  // make the next handshake's ephemeral.
  nz::ephemeral_pool::process().refill(nz::ephemeral_pool::idle_refill);
  return {};
}

bool session_io::add(stream_core_ptr core) {
  std::lock_guard<std::mutex> g{mtx_};
  if (closed_)
    return false;
  auto id = core->id();
  streams_[id] = std::move(core);
  p_.stats->streams.store(static_cast<uint32_t>(streams_.size()));
  return true;
}

void session_io::remove(uint32_t id) {
  std::lock_guard<std::mutex> g{mtx_};
  streams_.erase(id);
  p_.stats->streams.store(static_cast<uint32_t>(streams_.size()));
}

size_t session_io::streams() const {
  std::lock_guard<std::mutex> g{mtx_};
  return streams_.size();
}

void session_io::close() {
  {
    std::lock_guard<std::mutex> g{mtx_};
    closed_ = true;
    streams_.clear();
  }
  if (conn_)
    conn_->close();
}

stream_core_ptr session_io::find(uint32_t id) {
  std::lock_guard<std::mutex> g{mtx_};
  auto i = streams_.find(id);
  return i == streams_.end() ? nullptr : i->second;
}

// -- strand -----------------------------------------------------------------------------

void session_io::on_bytes(byte_span bytes) {
  if (failed_)
    return;
  p_.stats->bytes_in.fetch_add(bytes.size(), std::memory_order_relaxed);
  if (link_)
    on_yamux_bytes(bytes);
  else
    on_handshake_bytes(bytes);
}

void session_io::on_handshake_bytes(byte_span bytes) {
  if (!hs_)
    return fail(make_error(client_errc::protocol, "bytes before the handshake"));
  hs_buf_.insert(hs_buf_.end(), bytes.begin(), bytes.end());
  auto fr = nz::next_frame(hs_buf_, 1024);
  if (!fr)
    return fail(make_error(client_errc::protocol, "XK frame: " + describe(fr.error())));
  if (!*fr)
    return; // need more
  auto consumed = (*fr)->consumed;
  if (auto err = hs_->read_message((*fr)->body))
    return fail(make_error(client_errc::protocol, "XK message 2: " + describe(err)));
  if (hs_buf_.size() > consumed)
    return fail(make_error(dmsg_errc::extra_handshake_bytes));
  byte_buffer out;
  if (auto err = hs_->write_frame(out))
    return fail(make_error(client_errc::protocol, "XK message 3: " + describe(err)));
  auto sess = hs_->split();
  if (!sess)
    return fail(make_error(client_errc::protocol, describe(sess.error())));
  hs_.reset();
  byte_buffer{}.swap(hs_buf_);
  p_.stats->bytes_out.fetch_add(out.size(), std::memory_order_relaxed);
  conn_->write(std::move(out));
  // The reference server refuses a session when bytes follow message 3 in
  // the same read (error 203, a silent close): the session is announced now,
  // but its yamux frames are held (session_link::release, by the actor after
  // the quiet period) so the first one never rides along.
  link_ = std::make_shared<session_link>(conn_, p_.server, std::move(*sess), p_.stats, true);
  if (p_.actor)
    caf::anon_send(p_.actor, sready_atom::value, link_);
  if (p_.on_ready)
    p_.on_ready(link_);
}

void session_io::on_yamux_bytes(byte_span bytes) {
  // Frames are parsed in the read buffer; a data frame cut by a read goes
  // to its stream in pieces (never assembled: no copy).
  auto err = splitter_.feed(bytes, [this](const yx::fragment& f) {
    route(f);
    return !failed_;
  });
  if (err && !failed_)
    fail(make_error(client_errc::protocol, "yamux: " + describe(err)));
  // One delivery per stream and read.
  for (auto& c : touched_)
    c->end_batch();
  touched_.clear();
}

stream_core_ptr session_io::accept(uint32_t id) {
  auto core = std::make_shared<stream_core>(id, link_, false);
  // The request is answered here, on the io thread, once it is whole: the
  // response leaves without waiting for the stream actor (spawned below).
  if (p_.client)
    core->set_responder(
      [client = p_.client](stream_core& c) { return respond_to_request(c, *client); });
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (closed_)
      return nullptr;
    streams_[id] = core;
    p_.stats->streams.store(static_cast<uint32_t>(streams_.size()));
  }
  // Accept at once (yamux ACK), as the reference does.
  byte_buffer buf;
  yx::append_frame(buf, yx::header{0, yx::frame_type::window_update, yx::flag::ack, id, 0});
  link_->write_control(std::move(buf));
  if (p_.actor)
    caf::anon_send(p_.actor, sacc_atom::value, core);
  if (p_.on_accept)
    p_.on_accept(core);
  return core;
}

void session_io::route(const yx::fragment& f) {
  const auto& h = f.hdr;
  switch (h.type) {
    case yx::frame_type::ping:
      if (h.has(yx::flag::syn)) {
        byte_buffer buf;
        yx::append_frame(buf, yx::header{0, yx::frame_type::ping, yx::flag::ack, 0, h.length});
        link_->write_control(std::move(buf));
      } else if (h.has(yx::flag::ack)) {
        ping_outstanding_ = false;
      }
      return;
    case yx::frame_type::go_away:
      return fail(make_error(dmsg_errc::session_closed,
                             "server sent go-away (" + std::to_string(h.length) + ")"));
    case yx::frame_type::window_update:
    case yx::frame_type::data:
      break;
  }
  auto core = find(h.stream_id);
  if (!core) {
    if (!h.has(yx::flag::syn) || !f.first)
      return; // a stream that already ended: drop, as the reference does
    // Server-opened streams have even ids; ours are odd.
    if (h.stream_id % 2 != 0 || h.stream_id == 0) {
      byte_buffer buf;
      yx::append_frame(buf, yx::header{0, yx::frame_type::window_update, yx::flag::rst,
                                       h.stream_id, 0});
      link_->write_control(std::move(buf));
      return;
    }
    core = accept(h.stream_id);
    if (!core)
      return;
  }
  if (touched_.empty() || touched_.back() != core) {
    bool seen = false;
    for (auto& c : touched_)
      if (c == core) {
        seen = true;
        break;
      }
    if (!seen)
      touched_.push_back(core);
  }
  if (h.type == yx::frame_type::window_update)
    core->on_window(h.flags, h.length);
  else
    core->on_data(f.last ? h.flags : uint16_t{0}, f.body); // FIN/RST after the whole body
}

void session_io::start_keepalive() {
  if (!conn_ || p_.keepalive.count() <= 0)
    return;
  // the wheel belongs to the link's thread: arm it from there
  auto self = shared_from_this();
  conn_->post([self] {
    if (self->failed_ || self->keepalive_timer_ != 0)
      return;
    self->keepalive_timer_ =
      self->conn_->timers().schedule(self->p_.keepalive, [self] { self->on_keepalive(); });
  });
}

void session_io::on_keepalive() {
  keepalive_timer_ = 0;
  if (failed_ || !link_)
    return;
  if (ping_outstanding_)
    return fail(make_error(client_errc::timeout, "keepalive: no pong from the server"));
  ping_outstanding_ = true;
  byte_buffer buf;
  yx::append_frame(buf, yx::header{0, yx::frame_type::ping, yx::flag::syn, 0, ++ping_id_});
  link_->write_control(std::move(buf));
  auto self = shared_from_this();
  keepalive_timer_ = conn_->timers().schedule(p_.keepalive, [self] { self->on_keepalive(); });
}

void session_io::fail(caf::error err) {
  if (failed_)
    return;
  failed_ = true;
  if (keepalive_timer_ != 0) {
    conn_->timers().cancel(keepalive_timer_);
    keepalive_timer_ = 0;
  }
  for (auto& c : touched_)
    c->end_batch();
  touched_.clear();
  std::unordered_map<uint32_t, stream_core_ptr> streams;
  {
    std::lock_guard<std::mutex> g{mtx_};
    closed_ = true;
    streams.swap(streams_);
  }
  for (auto& kv : streams)
    kv.second->on_session_lost(err);
  if (conn_)
    conn_->close();
  if (p_.on_fail)
    p_.on_fail(err);
  if (p_.actor)
    caf::anon_send(p_.actor, sfail_atom::value, std::move(err));
}

} // namespace skywire::dmsg
