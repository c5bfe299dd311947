// The stream open protocol between two sessions: B opening the stream to its
// client, A writing the response, resets, cancels, the response deadline and
// the session's end (see dmsg_server_opens.hpp). Direct calls, made with no
// open-mutex held by the caller.
#include "actors/services/dmsg_server_opens.hpp"

#include "runtime/crypto/hash.hpp"

namespace skywire::services::session_detail {

/// B's side: another session asks us to open a stream to our client.
bool session_opens::open(uint32_t a_id, const session_opens_ptr& a, relay_tx_ptr to_a,
                         const byte_buffer& req) {
  auto hash = crypto::sha256(req);
  uint32_t id = 0;
  uint64_t gen = 0;
  {
    lock g{mtx_};
    if (closed_ || !sess_.valid() || link_->streams() >= ctx_->limits.max_streams
        || next_id_ > 0xfffffff0u)
      return false;
    id = next_id_;
    next_id_ += 2;
    // Sealed and written under the open-mutex: objects go out in nonce order.
    byte_buffer obj;
    if (dmsg::seal_object(sess_, req, obj) || !link_->open_stream(id, obj))
      return false;
    auto& st = opens_[id];
    st = open_state{};
    st.request = false;
    st.ph = phase::awaiting_response;
    st.gen = gen = next_gen_++;
    st.peer = a;
    st.peer_id = a_id;
    st.to_peer = std::move(to_a);
    st.req_hash = hash;
    // The deadline goes on the wheel of the thread we run on: ours, or the
    // caller's (A's shard: no wake-up of ours; cancelled only if the
    // response is read on that shard, else it fires later and finds
    // nothing). Neither (A read the request on its actor's thread, when
    // its yamux started): posted to ours.
    std::shared_ptr<open_thread> on;
    if (thread_->here())
      on = thread_;
    else if (a && a->thread_->here())
      on = a->thread_;
    if (on) {
      arm_locked(st, on, id, gen);
      return true;
    }
  }
  thread_->post([w = weak_from_this(), id, gen] {
    if (auto s = w.lock())
      s->arm_deadline(id, gen);
  });
  return true;
}

/// A's side: B's session accepted and forwarded the response.
void session_opens::opened(uint32_t a_id, uint32_t b_id, const session_opens_ptr& b,
                           relay_tx_ptr to_b, const byte_buffer& resp) {
  bool refuse = false;
  {
    lock g{mtx_};
    auto i = opens_.find(a_id);
    if (closed_ || i == opens_.end() || i->second.ph != phase::awaiting_peer
        || i->second.doomed || !to_b) {
      refuse = true; // we reset this stream meanwhile: B's side goes too
    } else {
      auto early = std::move(i->second.early);
      opens_.erase(i);
      // The response goes first (sealed and written under the open-mutex),
      // then what B's client already sent.
      byte_buffer obj;
      if (dmsg::seal_object(sess_, resp, obj) || !link_->open_tx(a_id, &obj)) {
        link_->reset(a_id, true, false);
        refuse = true;
      } else if (!link_->splice(a_id, std::move(to_b), std::move(early))) {
        refuse = true;
      }
    }
  }
  if (refuse)
    b->reset(b_id);
}

void session_opens::reset(uint32_t id) {
  calls out;
  {
    lock g{mtx_};
    reset_open(id, false, true, out);
  }
  run(out);
}

/// B's side: A gave up on a stream it asked us to open.
void session_opens::cancel(uint32_t a_id, const session_opens* a) {
  calls out;
  {
    lock g{mtx_};
    for (auto& [id, st] : opens_)
      if (!st.request && st.peer_id == a_id && st.peer.lock().get() == a) {
        reset_open(id, false, true, out);
        break;
      }
  }
  run(out);
}

void session_opens::close() {
  calls out;
  {
    lock g{mtx_};
    if (closed_)
      return;
    closed_ = true;
    std::vector<uint32_t> ids;
    ids.reserve(opens_.size());
    for (auto& kv : opens_)
      ids.push_back(kv.first);
    for (auto id : ids)
      reset_open(id, true, false, out);
  }
  run(out);
}

// -- the response deadline (the shard's timer wheel) ----------------------------------

void session_opens::arm_deadline(uint32_t id, uint64_t gen) {
  lock g{mtx_};
  auto* st = find(id, gen);
  if (!st || st->request || st->timer != 0)
    return; // answered or reset already
  arm_locked(*st, thread_, id, gen);
}

void session_opens::arm_locked(open_state& st, const std::shared_ptr<open_thread>& on,
                               uint32_t id, uint64_t gen) {
  st.timer_thread = on;
  st.timer = on->timers().schedule(ctx_->limits.response_timeout,
                                   [w = weak_from_this(), id, gen] {
                                     if (auto s = w.lock())
                                       s->deadline(id, gen);
                                   });
}

void session_opens::deadline(uint32_t id, uint64_t gen) {
  calls out;
  {
    lock g{mtx_};
    auto* st = find(id, gen);
    if (!st || st->request)
      return;
    st->timer = 0;
    fail_open(*st, out);
    reset_open(id, false, true, out);
  }
  run(out);
}

// A timer is cancelled from the thread whose wheel holds it; from elsewhere
// it is left to fire and find nothing (its stream's generation is gone).
void session_opens::disarm(open_state& st) {
  if (st.timer != 0 && st.timer_thread && st.timer_thread->here())
    st.timer_thread->timers().cancel(st.timer);
  st.timer = 0;
  st.timer_thread.reset();
}

// -- resets ----------------------------------------------------------------------------

void session_opens::fail_open(open_state& st, calls& out) {
  if (st.request)
    return;
  if (auto p = st.peer.lock())
    out.push_back({peer_call::kind::reset, std::move(p), st.peer_id});
  st.peer.reset();
}

void session_opens::reset_open(uint32_t id, bool to_peer, bool to_client, calls& out) {
  if (auto i = opens_.find(id); i != opens_.end()) {
    auto& st = i->second;
    if (st.calling) {
      // B.open() is running on A's thread: the caller removes the state
      // when it returns (and cancels B's stream if to_peer).
      st.cancel_peer = st.cancel_peer || to_peer;
      st.doomed = true;
    } else {
      if (to_peer) {
        if (auto p = st.peer.lock()) {
          if (!st.request)
            out.push_back({peer_call::kind::reset, std::move(p), st.peer_id});
          else if (st.ph == phase::awaiting_peer) // B has not answered yet
            out.push_back({peer_call::kind::cancel, std::move(p), id});
        }
      }
      disarm(st);
      opens_.erase(i);
    }
  }
  // Spliced streams: the link resets the peer's side through its relay.
  link_->reset(id, to_client, to_peer);
}

void session_opens::run(calls& out) {
  for (auto& c : out) {
    if (c.what == peer_call::kind::reset)
      c.peer->reset(c.id);
    else
      c.peer->cancel(c.id, this);
  }
  out.clear();
}

} // namespace skywire::services::session_detail
