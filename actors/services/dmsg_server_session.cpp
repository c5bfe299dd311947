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
    [this](ctldata_atom, uint32_t id) { on_control(id); },
    [this](ctlrst_atom, uint32_t id) { reset_open(id, true, false); },
    [this](linkfail_atom, const std::string& why) { close("protocol error: " + why); },
    [this](finsent_atom, uint32_t id) { link_->fin_sent(id); },
    [this](sclosed_atom, const std::string& cause) { on_closed(cause); },
    [this](idle_atom) { close("idle timeout"); },
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

/// The handshake is done (on the io thread, server_handshake): register,
/// take the link's events, start yamux and the keepalive.
void session_actor::start() {
  auto self = caf::actor_cast<caf::actor>(this);
  addr_ = caf::actor_cast<caf::actor_addr>(this);
  ctx_->registry->track(self);
  auto old = ctx_->registry->add(client_pk_, self);
  registered_ = true;
  if (old && old != self)
    anon_send(old, dsreplace_atom::value);
  // Events (and a close or failure since the handshake) come to us now.
  events_->attach_actor(addr_);
  link_->start_yamux();
}

void session_actor::on_closed(const std::string& cause) {
  if (closing_)
    return;
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
    SKYWIRE_LOG(info, "dmsg_server", "session failed",
                log::kv("cause", why),
                log::kv("remote", conn_ ? conn_->remote_endpoint() : std::string{}),
                log::kv("client", client_pk_.hex()),
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
  opens_.clear();
}

} // namespace session_detail

void start_dmsg_server_session(caf::actor_system& sys,
                               std::shared_ptr<const dmsg_session_context> ctx,
                               io::stream_connection_ptr conn, io::admission_ticket_ptr ticket) {
  session_detail::server_handshake::start(sys, std::move(ctx), std::move(conn),
                                          std::move(ticket));
}

} // namespace skywire::services
