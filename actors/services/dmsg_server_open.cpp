// The stream open protocol of a dmsg server session: StreamRequest /
// StreamResponse verification, dsopen / dsopened with the peer session and
// the splice of the two links (see dmsg_server_session.hpp).
#include "actors/services/dmsg_server_session_actor.hpp"

#include "actors/services/dmsg_server_registry.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::services::session_detail {

// -- the stream open protocol -------------------------------------------------------

/// The link has bytes (or a FIN) of a stream in the open protocol.
void session_actor::on_control(uint32_t id) {
  if (closing_)
    return;
  auto c = link_->take_control(id);
  if (!c.found)
    return;
  auto i = opens_.find(id);
  if (i == opens_.end()) {
    if ((id & 1) == 0)
      return; // server streams have their state from on_open
    i = opens_.emplace(id, open_state{}).first;
  }
  if (!c.data.empty() && i->second.ph == phase::awaiting_peer) {
    auto& e = i->second.early; // taken before hold(): kept in order
    e.insert(e.end(), c.data.begin(), c.data.end());
  } else if (!c.data.empty()) {
    auto& st = i->second;
    auto r = st.reader.feed(c.data);
    bool request = st.ph == phase::awaiting_request;
    if (!r) {
      if (!request)
        fail_open(st);
      reset_open(id, false, true);
      return;
    }
    if (*r) {
      if (request)
        on_request(id, st);
      else
        on_response(id, st);
    }
  }
  if (!c.fin)
    return;
  // FIN before the object was complete: the open fails.
  if (auto j = opens_.find(id); j != opens_.end() && j->second.ph != phase::awaiting_peer) {
    fail_open(j->second);
    reset_open(id, true, true);
  }
}

/// A's side: the StreamRequest is complete.
void session_actor::on_request(uint32_t id, open_state& st) {
  auto plain = st.reader.open(sess_);
  if (!plain) {
    reset_open(id, false, true);
    return;
  }
  dmsg::request_checks checks;
  checks.expect_src = client_pk_;
  if (ctx_->limits.timestamp_window.count() > 0) {
    checks.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    checks.max_age_ns = ctx_->limits.timestamp_window.count();
    checks.max_future_ns = ctx_->limits.timestamp_window.count();
  }
  auto req = dmsg::verify_stream_request(*plain, checks);
  if (!req) {
    SKYWIRE_LOG(debug, "dmsg_server", "stream request refused",
                log::kv("error", describe(req.error())));
    reset_open(id, false, true);
    return;
  }
  // The object's bytes are consumed here: give the window back.
  link_->credit(id, static_cast<uint32_t>(st.reader.buffered()));
  auto peer = ctx_->registry->find(req->req.dst.pk);
  auto to_a = link_->tx(id);
  if (!peer || req->req.dst.pk == client_pk_ || !to_a) {
    // The reference drops the stream silently (the client waits 20 s);
    // a reset lets the client fail at once (307).
    reset_open(id, false, true);
    return;
  }
  // Stream bytes that followed the request wait for the splice (the link
  // keeps what arrives from now on).
  st.early = std::move(st.reader.leftover());
  st.reader = dmsg::object_reader{};
  st.ph = phase::awaiting_peer;
  st.peer = peer;
  link_->hold(id);
  anon_send(peer, dsopen_atom::value, id, caf::actor_cast<caf::actor>(this), std::move(to_a),
            std::move(req->bytes));
}

/// B's side: another session asks us to open a stream to our client.
void session_actor::on_open(uint32_t a_id, caf::actor a, relay_tx_ptr to_a,
                            const byte_buffer& req) {
  if (closing_ || !sess_.valid() || link_->streams() >= ctx_->limits.max_streams
      || next_id_ > 0xfffffff0u) {
    anon_send(a, dsfail_atom::value, a_id);
    return;
  }
  uint32_t id = next_id_;
  next_id_ += 2;
  byte_buffer obj;
  if (dmsg::seal_object(sess_, req, obj) || !link_->open_stream(id, obj)) {
    anon_send(a, dsfail_atom::value, a_id);
    return;
  }
  auto& st = opens_[id];
  st.ph = phase::awaiting_response;
  st.peer = std::move(a);
  st.peer_id = a_id;
  st.to_peer = std::move(to_a);
  st.req_hash = crypto::sha256(req);
  delayed_send(this, ctx_->limits.response_timeout, resptimeout_atom::value, id);
}

/// B's side: the StreamResponse is complete.
void session_actor::on_response(uint32_t id, open_state& st) {
  auto plain = st.reader.open(sess_);
  if (!plain) {
    fail_open(st);
    reset_open(id, false, true);
    return;
  }
  auto resp = dmsg::verify_stream_response(*plain, st.req_hash, client_pk_);
  if (!resp) {
    SKYWIRE_LOG(debug, "dmsg_server", "stream response refused",
                log::kv("error", describe(resp.error())));
    fail_open(st);
    reset_open(id, false, true);
    return;
  }
  link_->credit(id, static_cast<uint32_t>(st.reader.buffered()));
  auto rest = std::move(st.reader.leftover());
  auto peer = std::move(st.peer);
  auto peer_id = st.peer_id;
  auto to_a = std::move(st.to_peer);
  opens_.erase(id);
  // Data the responder wrote right after its response waits in A's relay
  // until A's session has written the response.
  if (!link_->splice(id, std::move(to_a), std::move(rest))) {
    anon_send(peer, dsrst_atom::value, peer_id);
    return;
  }
  link_->open_tx(id, nullptr);
  anon_send(peer, dsopened_atom::value, peer_id, id, caf::actor_cast<caf::actor>(this),
            link_->tx(id), std::move(resp->bytes));
}

/// A's side: B's session accepted and forwarded the response.
void session_actor::on_opened(uint32_t a_id, uint32_t b_id, const caf::actor& b,
                              relay_tx_ptr to_b, const byte_buffer& resp) {
  auto i = opens_.find(a_id);
  if (i == opens_.end() || i->second.ph != phase::awaiting_peer || !to_b) {
    // We reset this stream meanwhile: B's side goes too.
    anon_send(b, dsrst_atom::value, b_id);
    return;
  }
  auto early = std::move(i->second.early);
  opens_.erase(i);
  // The response goes first, then what B's client already sent.
  byte_buffer obj;
  if (dmsg::seal_object(sess_, resp, obj) || !link_->open_tx(a_id, &obj)) {
    link_->reset(a_id, true, false);
    anon_send(b, dsrst_atom::value, b_id);
    return;
  }
  if (!link_->splice(a_id, std::move(to_b), std::move(early)))
    anon_send(b, dsrst_atom::value, b_id);
}

void session_actor::fail_open(open_state& st) {
  if (st.peer && st.ph == phase::awaiting_response) {
    anon_send(st.peer, dsfail_atom::value, st.peer_id);
    st.peer = caf::actor{};
  }
}

/// Resets a stream: tells the other session if it is in the open protocol
/// (`to_peer`), sends RST to our client (`to_client`) and forgets it.
/// Spliced streams: the link resets the peer's side through its relay.
void session_actor::reset_open(uint32_t id, bool to_peer, bool to_client) {
  if (auto i = opens_.find(id); i != opens_.end()) {
    auto& st = i->second;
    if (to_peer && st.peer) {
      if (st.peer_id != 0)
        anon_send(st.peer, dsrst_atom::value, st.peer_id);
      else if (st.ph == phase::awaiting_peer) // B has not answered yet
        anon_send(st.peer, dscancel_atom::value, id, caf::actor_cast<caf::actor>(this));
    }
    opens_.erase(i);
  }
  if (link_)
    link_->reset(id, to_client, to_peer);
}
} // namespace skywire::services::session_detail
