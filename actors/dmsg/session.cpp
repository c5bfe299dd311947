#include "actors/dmsg/session.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/objects.hpp"
#include "actors/dmsg/stream.hpp"

namespace skywire::dmsg {

namespace yx = wire::yamux;
namespace nz = crypto::noise;
namespace asio = boost::asio;

struct session_actor::connect_slot {
  explicit connect_slot(asio::io_context& ctx) : resolver(ctx), socket(ctx) {}
  asio::ip::tcp::resolver resolver;
  asio::ip::tcp::socket socket;
  boost::system::error_code ec;
};

session_actor::session_actor(caf::actor_config& cfg, session_params params)
  : caf::event_based_actor(cfg), p_(std::move(params)),
    reader_(yx::parse_limits{yx::initial_stream_window}) {
  if (!p_.stats)
    p_.stats = std::make_shared<session_stats>();
}

// No socket work here: the destructor may run on any thread (CAF's clock
// thread included) after the io loop is gone; on_exit() closes the socket.
session_actor::~session_actor() = default;

void session_actor::on_exit() {
  // Killed (e.g. with its client): the streams must not outlive the socket.
  if (!done_) {
    done_ = true;
    auto err = make_error(dmsg_errc::session_closed, "session terminated");
    for (auto& kv : streams_)
      caf::anon_send(kv.second, slost_atom::value, err);
    streams_.clear();
    if (conn_)
      conn_->close();
  }
}

caf::behavior session_actor::make_behavior() {
  start_connect();
  delayed_send(this, p_.handshake_timeout, hstimeout_atom::value);
  return {
    [this](cconn_atom) { on_connected(); },
    [this](cdata_atom, byte_buffer& bytes) {
      if (done_)
        return;
      p_.stats->bytes_in.fetch_add(bytes.size(), std::memory_order_relaxed);
      if (up_)
        on_yamux_bytes(bytes);
      else
        on_handshake_bytes(bytes);
    },
    [this](cclosed_atom, std::string& why) {
      lost(make_error(dmsg_errc::session_closed, "connection closed: " + why));
    },
    [this](quiet_atom) {
      if (done_)
        return;
      link_->release();
      delayed_send(this, p_.keepalive, keepalive_atom::value);
    },
    [this](hstimeout_atom) {
      if (!up_)
        lost(make_error(client_errc::timeout, "session handshake with " + p_.address));
    },
    [this](sdial_atom, skywire::address local, skywire::address remote) {
      if (!up_ || done_) {
        if (local.prt.value >= first_ephemeral_port)
          p_.client->ports.release(local.prt.value);
        auto rp = make_response_promise();
        rp.deliver(make_error(dmsg_errc::session_closed, "session is not up"));
        return;
      }
      auto id = next_id_;
      next_id_ += 2;
      auto s = spawn<stream_actor>(stream_params{p_.client, link_, this, id, true});
      streams_.emplace(id, s);
      p_.stats->streams.store(static_cast<uint32_t>(streams_.size()));
      delegate(s, sdial_atom::value, local, remote);
    },
    [this](sgone_atom, uint32_t id) {
      streams_.erase(id);
      p_.stats->streams.store(static_cast<uint32_t>(streams_.size()));
    },
    [this](keepalive_atom) {
      if (!up_ || done_)
        return;
      if (ping_outstanding_)
        return lost(make_error(client_errc::timeout, "keepalive: no pong from the server"));
      ping_outstanding_ = true;
      byte_buffer buf;
      yx::append_frame(buf, yx::header{0, yx::frame_type::ping, yx::flag::syn, 0, ++ping_id_});
      link_->write(std::move(buf));
      delayed_send(this, p_.keepalive, keepalive_atom::value);
    },
    [this](api::close_atom) {
      if (link_) {
        link_->release(); // closing anyway: the quiet no longer matters
        byte_buffer buf;
        yx::append_frame(buf, yx::header{0, yx::frame_type::go_away, 0, 0, 0});
        link_->write(std::move(buf));
      }
      lost(make_error(dmsg_errc::session_closed, "closed by the client"));
    },
  };
}

void session_actor::start_connect() {
  auto& ctx = p_.io->context();
  slot_ = std::make_shared<connect_slot>(ctx);
  auto colon = p_.address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    slot_->ec = asio::error::invalid_argument;
    anon_send(this, cconn_atom::value);
    return;
  }
  auto host = p_.address.substr(0, colon);
  auto port = p_.address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto self = caf::actor_cast<caf::actor>(this);
  auto slot = slot_;
  slot->resolver.async_resolve(
    host, port, asio::ip::resolver_base::numeric_service,
    [slot, self](const boost::system::error_code& ec,
                 asio::ip::tcp::resolver::results_type results) {
      if (ec) {
        slot->ec = ec;
        caf::anon_send(self, cconn_atom::value);
        return;
      }
      asio::async_connect(slot->socket, results,
                          [slot, self](const boost::system::error_code& ec2,
                                       const asio::ip::tcp::endpoint&) {
                            slot->ec = ec2;
                            caf::anon_send(self, cconn_atom::value);
                          });
    });
}

void session_actor::on_connected() {
  if (done_ || !slot_)
    return;
  auto slot = std::move(slot_);
  if (slot->ec)
    return lost(make_error(dmsg_errc::cannot_connect_to_delegated,
                           p_.address + ": " + slot->ec.message()));
  boost::system::error_code ignore;
  slot->socket.set_option(asio::ip::tcp::no_delay{true}, ignore);
  conn_ = io::stream_connection::make(std::move(slot->socket));
  auto self = caf::actor_cast<caf::actor>(this);
  io::stream_connection::callbacks cbs;
  cbs.on_data = [self](io::byte_buffer&& b) { caf::anon_send(self, cdata_atom::value, std::move(b)); };
  cbs.on_closed = [self](const boost::system::error_code& ec) {
    caf::anon_send(self, cclosed_atom::value, ec ? ec.message() : std::string{"eof"});
  };
  conn_->start(std::move(cbs));
  nz::handshake::config hc;
  hc.pattern = nz::pattern_kind::xk;
  hc.side = nz::role::initiator;
  hc.local = crypto::keypair{p_.client->pk, p_.client->sk};
  hc.remote = p_.server;
  auto hs = nz::handshake::make(std::move(hc));
  if (!hs)
    return lost(make_error(client_errc::invalid_argument, "XK: " + describe(hs.error())));
  hs_.emplace(std::move(*hs));
  byte_buffer out;
  if (auto err = hs_->write_frame(out))
    return lost(make_error(client_errc::protocol, "XK message 1: " + describe(err)));
  p_.stats->bytes_out.fetch_add(out.size(), std::memory_order_relaxed);
  conn_->write(std::move(out));
}

void session_actor::on_handshake_bytes(byte_buffer& bytes) {
  if (!hs_)
    return lost(make_error(client_errc::protocol, "bytes before the handshake"));
  hs_buf_.insert(hs_buf_.end(), bytes.begin(), bytes.end());
  auto fr = nz::next_frame(hs_buf_, 1024);
  if (!fr)
    return lost(make_error(client_errc::protocol, "XK frame: " + describe(fr.error())));
  if (!*fr)
    return; // need more
  auto consumed = (*fr)->consumed;
  if (auto err = hs_->read_message((*fr)->body))
    return lost(make_error(client_errc::protocol, "XK message 2: " + describe(err)));
  if (hs_buf_.size() > consumed)
    return lost(make_error(dmsg_errc::extra_handshake_bytes));
  byte_buffer out;
  if (auto err = hs_->write_frame(out))
    return lost(make_error(client_errc::protocol, "XK message 3: " + describe(err)));
  auto sess = hs_->split();
  if (!sess)
    return lost(make_error(client_errc::protocol, describe(sess.error())));
  hs_.reset();
  hs_buf_.clear();
  hs_buf_.shrink_to_fit();
  p_.stats->bytes_out.fetch_add(out.size(), std::memory_order_relaxed);
  conn_->write(std::move(out));
  // The reference server refuses a session when bytes follow message 3 in
  // the same read (error 203, a silent close). The session is announced now,
  // but its yamux frames (stream opens included) are held back for a moment
  // (session_link::release at quiet_atom), so the first one never rides along.
  link_ = std::make_shared<session_link>(conn_, p_.server, std::move(*sess), p_.stats, true);
  up_ = true;
  anon_send(p_.client_actor, sup_atom::value, p_.server);
  delayed_send(this, post_handshake_quiet, quiet_atom::value);
}

void session_actor::on_yamux_bytes(byte_buffer& bytes) {
  reader_.feed(bytes);
  for (;;) {
    auto next = reader_.next();
    if (!next)
      return lost(make_error(client_errc::protocol, "yamux: " + describe(next.error())));
    if (!*next)
      break;
    route(**next);
    if (done_)
      return;
  }
  flush_pending();
}

void session_actor::flush_pending() {
  if (!pend_)
    return;
  pend_ = false;
  auto i = streams_.find(pend_id_);
  if (i != streams_.end())
    send(i->second, yframe_atom::value, pend_flags_, std::move(pend_body_));
  pend_body_ = byte_buffer{};
}

caf::actor session_actor::accept_stream(uint32_t id) {
  // Server-opened streams have even ids; ours are odd.
  if (id % 2 != 0 || id == 0)
    return nullptr;
  auto s = spawn<stream_actor>(stream_params{p_.client, link_, this, id, false});
  streams_.emplace(id, s);
  p_.stats->streams.store(static_cast<uint32_t>(streams_.size()));
  return s;
}

void session_actor::route(const yx::frame_view& f) {
  const auto& h = f.hdr;
  switch (h.type) {
    case yx::frame_type::ping:
      flush_pending();
      if (h.has(yx::flag::syn)) {
        byte_buffer buf;
        yx::append_frame(buf, yx::header{0, yx::frame_type::ping, yx::flag::ack, 0, h.length});
        link_->write(std::move(buf));
      } else if (h.has(yx::flag::ack)) {
        ping_outstanding_ = false;
      }
      return;
    case yx::frame_type::go_away:
      flush_pending();
      return lost(make_error(dmsg_errc::session_closed,
                             "server sent go-away (" + std::to_string(h.length) + ")"));
    case yx::frame_type::window_update:
    case yx::frame_type::data:
      break;
  }
  auto i = streams_.find(h.stream_id);
  if (i == streams_.end()) {
    if (!h.has(yx::flag::syn))
      return; // a stream that already ended: drop, as the reference does
    flush_pending();
    auto s = accept_stream(h.stream_id);
    if (!s) {
      byte_buffer buf;
      yx::append_frame(buf, yx::header{0, yx::frame_type::window_update, yx::flag::rst,
                                       h.stream_id, 0});
      link_->write(std::move(buf));
      return;
    }
    i = streams_.find(h.stream_id);
  }
  if (h.type == yx::frame_type::window_update) {
    if (pend_ && pend_id_ == h.stream_id)
      flush_pending();
    send(i->second, ywin_atom::value, h.flags, h.length);
    return;
  }
  // Data: merge consecutive frames of one stream that carry no flags.
  uint16_t flags = h.flags & static_cast<uint16_t>(yx::flag::fin | yx::flag::rst);
  if (pend_ && pend_id_ != h.stream_id)
    flush_pending();
  if (!pend_) {
    pend_ = true;
    pend_id_ = h.stream_id;
    pend_flags_ = 0;
    pend_body_.assign(f.body.begin(), f.body.end());
  } else {
    pend_body_.insert(pend_body_.end(), f.body.begin(), f.body.end());
  }
  if (flags) {
    pend_flags_ = flags;
    flush_pending();
  }
}

void session_actor::lost(caf::error err) {
  if (done_)
    return;
  done_ = true;
  for (auto& kv : streams_)
    send(kv.second, slost_atom::value, err);
  streams_.clear();
  p_.stats->streams.store(0);
  if (conn_)
    conn_->close();
  anon_send(p_.client_actor, sdown_atom::value, p_.server, err);
  quit();
}

} // namespace skywire::dmsg
