#include "actors/services/dmsg_server_session_actor.hpp"

#include <algorithm>

#include <boost/asio/error.hpp>

#include "actors/services/dmsg_server_registry.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/log/rate_limit.hpp"

namespace skywire::services {

namespace session_detail {

caf::behavior session_actor::make_behavior() {
  start();
  return {
    [this](hsframe_atom, byte_buffer& body, bool extra) { on_handshake_frame(body, extra); },
    [this](ctldata_atom, uint32_t id) { on_control(id); },
    [this](ctlrst_atom, uint32_t id) { reset_open(id, true, false); },
    [this](linkfail_atom, const std::string& why) { close("protocol error: " + why); },
    [this](finsent_atom, uint32_t id) { link_->fin_sent(id); },
    [this](sclosed_atom, const std::string& cause) { on_closed(cause); },
    [this](hstimeout_atom) {
      if (!sess_.valid() && !closing_) {
        if (ctx_->admission)
          ctx_->admission->count(io::refusal::deadline);
        close("handshake timeout");
      }
    },
    [this](tick_atom) { on_tick(); },
    [this](resptimeout_atom, uint32_t id) {
      auto i = opens_.find(id);
      if (i != opens_.end() && i->second.ph == phase::awaiting_response) {
        fail_open(i->second);
        reset_open(id, false, true);
      }
    },
    [this](dsopen_atom, uint32_t a_id, caf::actor& a, relay_tx_ptr& to_a, byte_buffer& req) {
      on_open(a_id, std::move(a), std::move(to_a), req);
    },
    [this](dsopened_atom, uint32_t a_id, uint32_t b_id, const caf::actor& b,
           relay_tx_ptr& to_b, const byte_buffer& resp) {
      on_opened(a_id, b_id, b, std::move(to_b), resp);
    },
    [this](dsfail_atom, uint32_t a_id) { reset_open(a_id, false, true); },
    [this](dsrst_atom, uint32_t id) { reset_open(id, false, true); },
    [this](dscancel_atom, uint32_t a_id, const caf::actor& a) {
      // A gave up on a stream it asked us to open.
      for (auto& [id, st] : opens_)
        if (st.ph == phase::awaiting_response && st.peer_id == a_id && st.peer == a) {
          reset_open(id, false, true);
          break;
        }
    },
    [this](dsreplace_atom) { close("replaced by a newer session of the same client", false); },
  };
}

// -- lifetime ---------------------------------------------------------------------

void session_actor::start() {
  auto addr = caf::actor_cast<caf::actor_addr>(this);
  addr_ = addr;
  ctx_->registry->track(caf::actor_cast<caf::actor>(this));
  auto events = std::make_shared<session_events>(addr);
  rl::link_config lc;
  const auto& lim = ctx_->limits;
  lc.max_streams = lim.max_streams;
  lc.relay_buffer = lim.relay_buffer;
  lc.max_backlog = std::max<size_t>(lim.max_stream_backlog, size_t{window} + lim.relay_buffer);
  lc.sink_limit = lim.relay_sink_limit;
  link_ = std::make_shared<rl::dmsg_server_link>(std::make_shared<rl::connection_sink>(conn_),
                                                 events, events, lc, ctx_->registry->relay());
  auto hs = nz::handshake::make({nz::pattern_kind::xk, nz::role::responder,
                                 ctx_->server_keys, public_key{}, std::nullopt});
  if (!hs) {
    close("bad server keys");
    return;
  }
  hs_.emplace(std::move(*hs));
  // The connection holds the link weakly: the actor owns it.
  std::weak_ptr<rl::dmsg_server_link> weak = link_;
  io::stream_connection::callbacks cbs;
  // on_sent only resumes relay data that waited for a full connection to
  // drain (queued writes report it): no report (and no wake-up) per direct write.
  conn_->set_direct_send_reports(false);
  cbs.on_span = [weak](byte_span b) {
    if (auto l = weak.lock())
      l->on_data(b);
  };
  cbs.on_sent = [weak](size_t) {
    if (auto l = weak.lock())
      l->on_sent();
  };
  cbs.on_closed = [addr](const boost::system::error_code& ec) {
    namespace ae = boost::asio::error;
    std::string cause;
    if (ec == ae::eof)
      cause = "peer closed the connection";
    else if (ec == ae::connection_reset)
      cause = "peer reset the connection";
    else if (ec == ae::operation_aborted)
      cause = "closed by the server";
    else
      cause = ec.message();
    if (auto a = caf::actor_cast<caf::actor>(addr))
      caf::anon_send(a, sclosed_atom::value, std::move(cause));
  };
  conn_->start(std::move(cbs), 256 * 1024);
  // The deadline the admission control gave this connection (it shrinks
  // while many handshakes are pending).
  auto deadline = ticket_ ? ticket_->deadline() : ctx_->limits.handshake_timeout;
  delayed_send(this, deadline, hstimeout_atom::value);
}

void session_actor::on_closed(const std::string& cause) {
  if (closing_)
    return;
  if (ticket_ && ticket_->evicted()) {
    close("admission: evicted in its handshake for a newer connection (pending budget full)");
    return;
  }
  if (!sess_.valid()) {
    close("connection ended in the handshake: " + cause);
    return;
  }
  // A client that closes its session cleanly is not a failure.
  close("session ended: " + cause, cause != "peer closed the connection");
}

/// Ends the session: resets every stream on its peer, leaves the registry,
/// closes the socket and quits.
void session_actor::close(const std::string& why, bool abnormal) {
  if (closing_)
    return;
  closing_ = true;
  // Once, at info when abnormal; at most 20 such lines a second (a flood of
  // refused handshakes is counted in /metrics, not written line by line).
  static log::rate_limit limit{20};
  uint64_t suppressed = 0;
  if (abnormal && limit.allow(suppressed)) {
    SKYWIRE_LOG(info, "dmsg_server", sess_.valid() ? "session failed" : "connection refused",
                log::kv("cause", why),
                log::kv("remote", conn_ ? conn_->remote_endpoint() : std::string{}),
                log::kv("client", sess_.valid() ? client_pk_.hex() : std::string{}),
                log::kv("similar_lines_suppressed", suppressed));
  } else {
    SKYWIRE_LOG(debug, "dmsg_server", "session closed", log::kv("cause", why),
                log::kv("remote", conn_ ? conn_->remote_endpoint() : std::string{}));
  }
  std::vector<uint32_t> ids;
  for (auto& kv : opens_)
    ids.push_back(kv.first);
  for (auto id : ids)
    reset_open(id, true, false);
  release();
  quit();
}

void session_actor::release(bool in_destructor) {
  if (released_)
    return;
  released_ = true;
  if (registered_ && ctx_ && !in_destructor)
    ctx_->registry->remove(client_pk_, caf::actor_cast<caf::actor>(this));
  if (link_)
    link_->shutdown(); // spliced peers are reset by their relays' events
  if (conn_)
    conn_->close();
  if (ctx_) {
    ctx_->registry->untrack(addr_);
    if (slot_held_)
      ctx_->registry->release_slot();
    slot_held_ = false;
  }
  if (ticket_)
    ticket_->release();
  opens_.clear();
}

// -- handshake ------------------------------------------------------------------------

void session_actor::on_handshake_frame(const byte_buffer& body, bool extra) {
  if (closing_ || sess_.valid() || !hs_)
    return;
  if (auto err = hs_->read_message(body)) {
    close("bad handshake message");
    return;
  }
  if (!hs_->finished()) {
    byte_buffer out;
    if (auto err = hs_->write_frame(out)) {
      close("handshake write failed");
      return;
    }
    conn_->write(std::move(out));
    return;
  }
  // Message 3 read: any byte after it in the same read is error 203.
  if (extra) {
    close("extra bytes after handshake (dmsg error 203)");
    return;
  }
  auto s = hs_->split();
  if (!s) {
    close("handshake split failed");
    return;
  }
  // Authenticated: leave the pending budget, take a session slot (none
  // free: refused, nothing established is disturbed).
  if (!ctx_->registry->try_acquire_slot()) {
    if (ctx_->admission)
      ctx_->admission->count(io::refusal::sessions_full);
    close("max_sessions reached");
    return;
  }
  slot_held_ = true;
  if (ticket_)
    ticket_->release();
  client_pk_ = hs_->remote_static();
  sess_ = std::move(*s);
  hs_.reset();
  auto self = caf::actor_cast<caf::actor>(this);
  auto old = ctx_->registry->add(client_pk_, self);
  registered_ = true;
  if (old && old != self)
    anon_send(old, dsreplace_atom::value);
  link_->start_yamux();
  schedule_tick();
}
// -- keepalive ------------------------------------------------------------------------

void session_actor::schedule_tick() {
  auto every = std::min(ctx_->limits.keepalive_interval, ctx_->limits.idle_timeout / 2);
  if (every.count() <= 0)
    every = std::chrono::milliseconds{1000};
  delayed_send(this, every, tick_atom::value);
}

void session_actor::on_tick() {
  if (closing_)
    return;
  auto idle = std::chrono::steady_clock::now() - link_->last_rx();
  if (idle > ctx_->limits.idle_timeout) {
    close("idle timeout");
    return;
  }
  link_->write_control(ym::frame_type::ping, ym::flag::syn, 0, ++ping_id_);
  schedule_tick();
}
} // namespace session_detail

caf::actor spawn_dmsg_server_session(caf::actor_system& sys,
                                     std::shared_ptr<const dmsg_session_context> ctx,
                                     io::stream_connection_ptr conn,
                                     io::admission_ticket_ptr ticket) {
  return sys.spawn<session_detail::session_actor>(std::move(ctx), std::move(conn),
                                                  std::move(ticket));
}

} // namespace skywire::services
