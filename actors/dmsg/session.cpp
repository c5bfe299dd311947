#include "actors/dmsg/session.hpp"

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/objects.hpp"
#include "actors/dmsg/stream.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsg {

namespace yx = wire::yamux;
namespace asio = boost::asio;

struct session_actor::connect_slot {
  explicit connect_slot(asio::io_context& ctx) : resolver(ctx), socket(ctx) {}
  asio::ip::tcp::resolver resolver;
  asio::ip::tcp::socket socket;
  boost::system::error_code ec;
};

session_actor::session_actor(caf::actor_config& cfg, session_params params)
  : session_interface::base(cfg), p_(std::move(params)) {
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
      caf::anon_send(kv.second.actor, slost_atom::value, err);
    streams_.clear();
    if (io_)
      io_->close();
  }
  io_ = nullptr;
  link_ = nullptr;
}

session_actor::behavior_type session_actor::make_behavior() {
  start_connect();
  delayed_send(this, p_.handshake_timeout, hstimeout_atom::value);
  return {
    [this](cconn_atom) { on_connected(); },
    [this](sready_atom, session_link_ptr link) {
      if (done_)
        return;
      link_ = std::move(link);
      up_ = true;
      anon_send(p_.client_actor, api::link_up_atom::value, p_.server);
      delayed_send(this, post_handshake_quiet, quiet_atom::value);
    },
    [this](sfail_atom, caf::error err) { lost(std::move(err)); },
    [this](quiet_atom) {
      if (done_)
        return;
      link_->release();
      if (io_)
        io_->start_keepalive();
    },
    [this](hstimeout_atom) {
      if (!up_)
        lost(make_error(client_errc::timeout, "session handshake with " + p_.address));
    },
    [this](sacc_atom, stream_core_ptr core) {
      if (done_) {
        core->reset();
        return;
      }
      auto id = core->id();
      // Answered on the io thread already: no deadline needed.
      auto ph = core->current_phase();
      if (ph == stream_core::phase::handshake || ph == stream_core::phase::keys_pending)
        watch(core);
      auto s = spawn<stream_actor>(stream_params{p_.client, link_, this, id, false, core});
      streams_.emplace(id, stream_rec{s, core});
    },
    [this](api::open_atom, skywire::address local,
           skywire::address remote) -> caf::result<api::stream_opened> {
      if (!up_ || done_) {
        if (local.prt.value >= first_ephemeral_port)
          p_.client->ports.release(local.prt.value);
        return make_error(dmsg_errc::session_closed, "session is not up");
      }
      auto id = next_id_;
      next_id_ += 2;
      auto core = std::make_shared<stream_core>(id, link_, true);
      if (!io_->add(core))
        return make_error(dmsg_errc::session_closed, "session is closing");
      watch(core);
      auto s = spawn<stream_actor>(stream_params{p_.client, link_, this, id, true, core});
      streams_.emplace(id, stream_rec{s, core});
      return delegate(s, api::open_atom::value, local, remote);
    },
    [this](api::link_stats_atom) {
      api::link_stats out;
      out.peer = p_.server;
      out.address = p_.address;
      out.state = done_ ? "closed" : up_ ? "up" : "connecting";
      out.streams = p_.stats->streams.load(std::memory_order_relaxed);
      out.bytes_in = p_.stats->bytes_in.load(std::memory_order_relaxed);
      out.bytes_out = p_.stats->bytes_out.load(std::memory_order_relaxed);
      return out;
    },
    [this](sgone_atom, uint32_t id) {
      streams_.erase(id);
      if (io_)
        io_->remove(id);
    },
    [this](sweep_atom) { sweep(); },
    [this](api::close_atom) {
      closing_ = true;
      if (link_) {
        link_->release(); // closing anyway: the quiet no longer matters
        byte_buffer buf;
        yx::append_frame(buf, yx::header{0, yx::frame_type::go_away, 0, 0, 0});
        link_->write_control(std::move(buf));
      }
      lost(make_error(dmsg_errc::session_closed, "closed by the client"));
    },
  };
}

void session_actor::start_connect() {
  auto& ctx = p_.io->next_context();
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
  auto self = caf::actor_cast<session_interface>(this);
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
  auto conn = io::stream_connection::make(std::move(slot->socket));
  session_io::params ps;
  ps.client = p_.client;
  ps.server = p_.server;
  ps.stats = p_.stats;
  ps.actor = caf::actor_cast<caf::actor>(this);
  ps.keepalive = p_.keepalive;
  io_ = std::make_shared<session_io>(std::move(ps));
  if (auto err = io_->start(std::move(conn)))
    return lost(std::move(err));
}

// Stream handshake deadlines: one timer per session while any stream is in
// its handshake, not one CAF clock entry per stream (each costs the clock
// thread a wake-up, and a stream open is a few hundred microseconds).
void session_actor::watch(const stream_core_ptr& core) {
  core->set_deadline(std::chrono::steady_clock::now() + p_.client->handshake_timeout);
  arm_sweep();
}

void session_actor::arm_sweep() {
  if (sweep_armed_ || done_)
    return;
  sweep_armed_ = true;
  // The deadline is met within an eighth of it (at most 1 s late).
  auto every = std::clamp(p_.client->handshake_timeout / 8, std::chrono::milliseconds{10},
                          std::chrono::milliseconds{1000});
  delayed_send(this, every, sweep_atom::value);
}

void session_actor::sweep() {
  sweep_armed_ = false;
  if (done_)
    return;
  auto now = std::chrono::steady_clock::now();
  bool pending = false;
  for (auto& kv : streams_) {
    if (kv.second.core->take_expired(now))
      send(kv.second.actor, hstimeout_atom::value);
    else if (kv.second.core->has_deadline())
      pending = true;
  }
  if (pending)
    arm_sweep();
}

void session_actor::lost(caf::error err) {
  if (done_)
    return;
  done_ = true;
  if (!closing_)
    SKYWIRE_LOG(info, "dmsg", up_ ? "session lost" : "session failed",
                log::kv("server", p_.server.hex()), log::kv("address", p_.address),
                log::kv("cause", session_failure_cause(err, up_)), log::kv("error", describe(err)),
                log::kv("streams", streams_.size()));
  for (auto& kv : streams_)
    send(kv.second.actor, slost_atom::value, err);
  streams_.clear();
  p_.stats->streams.store(0);
  if (io_)
    io_->close();
  io_ = nullptr;
  link_ = nullptr;
  if (up_)
    anon_send(p_.client_actor, api::link_down_atom::value, p_.server, err);
  else
    anon_send(p_.client_actor, api::link_error_atom::value, p_.server, err);
  quit();
}

} // namespace skywire::dmsg
