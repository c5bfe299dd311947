// The stream open protocol, what our client sends: the StreamRequest (A's
// side) and the StreamResponse (B's side), read on the session's io thread
// (see dmsg_server_opens.hpp).
#include "actors/services/dmsg_server_opens.hpp"

#include "actors/services/dmsg_server_registry.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::services::session_detail {

session_opens::session_opens(std::shared_ptr<const dmsg_session_context> ctx,
                             std::shared_ptr<dmsg_relay::dmsg_server_link> link,
                             crypto::noise::session sess, public_key client,
                             std::shared_ptr<open_thread> thread)
  : ctx_(std::move(ctx)), link_(std::move(link)), client_pk_(client),
    thread_(std::move(thread)), sess_(std::move(sess)) {}

session_opens::open_state* session_opens::find(uint32_t id, uint64_t gen) {
  auto i = opens_.find(id);
  return i != opens_.end() && i->second.gen == gen ? &i->second : nullptr;
}

size_t session_opens::pending() const {
  std::lock_guard<std::mutex> g{mtx_};
  return opens_.size();
}

/// The link has bytes (or a FIN) of a stream in the open protocol.
void session_opens::on_control(uint32_t id) {
  calls out;
  byte_buffer plain;
  uint64_t gen = 0; // set: an object is complete, verified below (no lock)
  bool request = false;
  sha256_digest req_hash;
  {
    lock g{mtx_};
    if (closed_)
      return;
    auto c = link_->take_control(id);
    if (!c.found)
      return;
    auto i = opens_.find(id);
    if (i == opens_.end()) {
      if ((id & 1) == 0)
        return; // server streams have their state from open()
      i = opens_.emplace(id, open_state{}).first;
      i->second.gen = next_gen_++;
    }
    auto& st = i->second;
    bool reading = st.ph == phase::awaiting_request || st.ph == phase::awaiting_response;
    if (!c.data.empty() && !reading) {
      // After the object: kept in order for the splice.
      st.early.insert(st.early.end(), c.data.begin(), c.data.end());
    } else if (!c.data.empty()) {
      auto r = st.reader.feed(c.data);
      bool bad = !r;
      if (r && *r) {
        if (auto p = st.reader.open(sess_)) {
          plain = std::move(*p);
          gen = st.gen;
          request = st.request;
          req_hash = st.req_hash;
          st.object_bytes = st.reader.buffered();
          st.early = std::move(st.reader.leftover());
          st.reader = dmsg::object_reader{};
          st.ph = phase::verifying;
        } else {
          bad = true; // not ours, or a replayed nonce
        }
      }
      if (bad) {
        fail_open(st, out);
        reset_open(id, false, true, out);
        g.unlock();
        run(out);
        return;
      }
    }
    // FIN before the object was complete: the open fails.
    if (c.fin && gen == 0 && reading) {
      fail_open(st, out);
      reset_open(id, true, true, out);
    }
  }
  run(out);
  if (gen == 0)
    return;
  if (request)
    on_request(id, gen, plain);
  else
    on_response(id, gen, plain, req_hash);
}

void session_opens::on_client_reset(uint32_t id) {
  calls out;
  {
    lock g{mtx_};
    reset_open(id, true, false, out);
  }
  run(out);
}

/// A's side: the StreamRequest is complete and decrypted.
void session_opens::on_request(uint32_t id, uint64_t gen, const byte_buffer& plain) {
  dmsg::request_checks checks;
  checks.expect_src = client_pk_;
  if (ctx_->limits.timestamp_window.count() > 0) {
    checks.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    checks.max_age_ns = ctx_->limits.timestamp_window.count();
    checks.max_future_ns = ctx_->limits.timestamp_window.count();
  }
  // Everything but the signature now; the signature right after B has the
  // request (off the open's critical path; B verifies it too). The session is
  // authenticated and SrcAddr.PK must be its key, so nobody else's request can
  // pass; a bad signature resets the stream on both sides below.
  checks.signature = false;
  auto req = dmsg::verify_stream_request(plain, checks);
  session_opens_ptr peer;
  if (req && req->req.dst.pk != client_pk_)
    peer = ctx_->registry->find_opens(req->req.dst.pk);
  calls out;
  relay_tx_ptr to_a;
  {
    lock g{mtx_};
    auto* st = find(id, gen);
    if (!st || st->ph != phase::verifying)
      return; // reset meanwhile
    if (!req) {
      SKYWIRE_LOG(debug, "dmsg_server", "stream request refused",
                  log::kv("error", describe(req.error())));
      reset_open(id, false, true, out);
      g.unlock();
      run(out);
      return;
    }
    // The object's bytes are consumed here: give the window back.
    link_->credit(id, static_cast<uint32_t>(st->object_bytes));
    to_a = link_->tx(id);
    if (!peer || !to_a) {
      // The reference drops the stream silently (the client waits 20 s);
      // a reset lets the client fail at once (307).
      reset_open(id, false, true, out);
      g.unlock();
      run(out);
      return;
    }
    // Stream bytes that followed the request wait for the splice (the link
    // keeps what arrives from now on).
    st->ph = phase::awaiting_peer;
    st->peer = peer;
    st->calling = true;
    link_->hold(id);
  }
  bool ok = peer->open(id, shared_from_this(), std::move(to_a), req->bytes);
  auto sig = dmsg::verify_request_signature(plain, client_pk_);
  if (sig)
    SKYWIRE_LOG(debug, "dmsg_server", "stream request refused", log::kv("error", describe(sig)));
  bool cancel = false;
  {
    lock g{mtx_};
    auto* st = find(id, gen);
    if (!st) {
      // B's session answered already (opened): spliced, or reset meanwhile.
      if (sig)
        link_->reset(id, true, true);
      return;
    }
    if (sig && !st->doomed) {
      // Forged: B's stream goes (cancel), our client gets RST.
      st->calling = false;
      reset_open(id, ok, true, out);
    } else if (st->doomed) {
      // Reset while B was opening: B's stream goes too.
      cancel = ok && st->cancel_peer;
      opens_.erase(id);
    } else {
      st->calling = false;
      if (!ok)
        reset_open(id, false, true, out);
    }
  }
  if (cancel)
    peer->cancel(id, this);
  run(out);
}

/// B's side: the StreamResponse is complete and decrypted.
void session_opens::on_response(uint32_t id, uint64_t gen, const byte_buffer& plain,
                                const sha256_digest& req_hash) {
  // As for requests: the signature is checked once A has the response.
  auto resp = dmsg::verify_stream_response(plain, req_hash, client_pk_, false, false);
  calls out;
  session_opens_ptr peer;
  uint32_t peer_id = 0;
  relay_tx_ptr tx;
  {
    lock g{mtx_};
    auto* st = find(id, gen);
    if (!st || st->ph != phase::verifying)
      return; // reset meanwhile (A was told)
    if (!resp) {
      SKYWIRE_LOG(debug, "dmsg_server", "stream response refused",
                  log::kv("error", describe(resp.error())));
      fail_open(*st, out);
      reset_open(id, false, true, out);
      g.unlock();
      run(out);
      return;
    }
    link_->credit(id, static_cast<uint32_t>(st->object_bytes));
    auto rest = std::move(st->early);
    auto to_a = std::move(st->to_peer);
    peer = st->peer.lock();
    peer_id = st->peer_id;
    disarm(*st);
    opens_.erase(id);
    if (!peer) { // A's session is gone
      link_->reset(id, true, false);
      return;
    }
    // Data the responder wrote right after its response waits in A's relay
    // until A's session has written the response.
    if (!link_->splice(id, std::move(to_a), std::move(rest))) {
      g.unlock();
      peer->reset(peer_id);
      return;
    }
    link_->open_tx(id, nullptr);
    tx = link_->tx(id);
  }
  peer->opened(peer_id, id, shared_from_this(), std::move(tx), resp->bytes);
  if (auto sig = dmsg::verify_response_signature(plain, client_pk_)) {
    // Forged: both ends of the spliced stream are reset (A's client, which
    // verifies it too, fails the dial either way).
    SKYWIRE_LOG(debug, "dmsg_server", "stream response refused", log::kv("error", describe(sig)));
    link_->reset(id, true, true);
  }
}

} // namespace skywire::services::session_detail
