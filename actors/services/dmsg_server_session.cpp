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
    [this](linkfail_atom, const std::string& why) { close("protocol error: " + why); },
    [this](finsent_atom, uint32_t id) {
      if (link_)
        link_->fin_sent(id);
    },
    [this](sclosed_atom, const std::string& cause) { on_closed(cause); },
    [this](idle_atom) { close("idle timeout"); },
    // A spliced stream's relay failed or its peer reset it (raised with
    // relay locks held, hence a message).
    [this](dsrst_atom, uint32_t id) {
      if (!closing_ && opens_)
        opens_->reset(id);
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
  auto old = ctx_->registry->add(client_pk_, self, opens_);
  registered_ = true;
  if (old && old != self)
    anon_send(old, dsreplace_atom::value);
  // Events (and a close or failure since the handshake) come to us now.
  events_->attach_actor(addr_, opens_);
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
  if (opens_)
    opens_->close(); // its pending opens are reset, their peers told
  release();
  quit();
}

void session_actor::release(bool in_destructor) {
  if (released_)
    return;
  released_ = true;
  if (registered_ && ctx_ && !in_destructor)
    ctx_->registry->remove(client_pk_, caf::actor_cast<caf::actor>(this));
  if (opens_)
    opens_->close();
  if (link_)
    link_->shutdown(); // spliced peers are reset by their relays' events
  if (conn_)
    conn_->close();
  if (!in_destructor) {
    // Nothing tied to the io contexts stays with the actor object: CAF may
    // destroy a terminated actor much later (whoever holds a strong
    // reference last), while the registry's connections() reaching 0 is
    // what lets the server's owner stop and destroy the io contexts
    // (dmsg_server_handle::stop, then drain). What the io threads still
    // run holds its own references.
    opens_.reset();
    link_.reset();
    events_.reset();
    conn_.reset();
  }
  if (ctx_) {
    ctx_->registry->untrack(addr_);
    if (slot_held_)
      ctx_->registry->release_slot();
    slot_held_ = false;
  }
}

} // namespace session_detail

void start_dmsg_server_session(caf::actor_system& sys,
                               std::shared_ptr<const dmsg_session_context> ctx,
                               io::stream_connection_ptr conn, io::admission_ticket_ptr ticket) {
  session_detail::server_handshake::start(sys, std::move(ctx), std::move(conn),
                                          std::move(ticket));
}

} // namespace skywire::services
