#include "actors/services/dmsg_server_session.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/dmsg/objects.hpp"
#include "actors/services/dmsg_server_registry.hpp"
#include "messages/wire/yamux/frame.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::services::relay_detail {

/// Data toward one client on one stream, shared by the session that owns the
/// stream (the client's session) and the session relaying into it. While the
/// owner is spliced and nothing relayed by message is pending, the relaying
/// session writes data frames straight onto the owner's connection (no actor
/// hop per frame); otherwise it sends `dsrelay` and the owner writes them in
/// order. Everything below is guarded by mtx (lock order: mtx, then the
/// connection's own lock).
struct relay_out {
  relay_out(io::stream_connection_ptr c, uint32_t stream, uint32_t w)
    : conn(std::move(c)), id(stream), send_window(w) {}
  std::mutex mtx;
  const io::stream_connection_ptr conn; ///< the owner's connection
  const uint32_t id;                    ///< the stream id on the owner's session
  uint32_t send_window;                 ///< what the client still takes
  size_t queued = 0; ///< bytes sent by `dsrelay` and not yet written by the owner
  bool open = false; ///< the owner is spliced and not finished: direct writes allowed
};

using relay_out_ptr = std::shared_ptr<relay_out>;

} // namespace skywire::services::relay_detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::relay_detail::relay_out_ptr)

namespace skywire::services {

namespace {

using relay_detail::relay_out;
using relay_detail::relay_out_ptr;
namespace ym = wire::yamux;
namespace nz = crypto::noise;
using byte_buffer = io::byte_buffer;
using clock_type = std::chrono::steady_clock;

using sdata_atom = caf::atom_constant<caf::atom("dssdata")>;
using sclosed_atom = caf::atom_constant<caf::atom("dssclosed")>;
using hstimeout_atom = caf::atom_constant<caf::atom("dshstmo")>;
using tick_atom = caf::atom_constant<caf::atom("dstick")>;
using resptimeout_atom = caf::atom_constant<caf::atom("dsresptmo")>;
using dscancel_atom = caf::atom_constant<caf::atom("dscancel")>;

constexpr uint32_t window = ym::initial_stream_window;
/// Relayed bytes credited back to the sending session in one `dscredit`.
/// Below half of the smallest receive window (see grant()), so a sender
/// blocked on its window always gets it back once the relayed data is out.
constexpr uint32_t credit_batch = window / 4;
constexpr size_t headroom = ym::header_size;

enum class phase : uint8_t {
  awaiting_request,  ///< client-opened stream: the StreamRequest is being read
  awaiting_peer,     ///< request forwarded, waiting for the other session
  awaiting_response, ///< server-opened stream: the StreamResponse is being read
  spliced,
};

struct stream_state {
  phase ph = phase::awaiting_request;
  caf::actor peer;        ///< the other session
  uint32_t peer_id = 0;   ///< the stream id on the other session
  uint32_t recv_window = window; ///< what the client may still send us
  uint32_t recv_max = window;    ///< its bound (window + relay buffer once spliced)
  relay_out_ptr to_client;       ///< data toward our client (its send window)
  relay_out_ptr to_peer;         ///< data toward the other client, once spliced
  uint32_t grant_pending = 0;    ///< window owed to the client, not yet written
  uint32_t credit_pending = 0;   ///< relayed bytes not yet credited to the peer
  dmsg::object_reader reader;    ///< the request or response object
  byte_buffer early;             ///< stream data received before the splice
  sha256_digest req_hash;        ///< server-opened: hash of the forwarded request
  std::deque<byte_buffer> out;   ///< relay data beyond the client's window (headroom kept)
  size_t out_front = 0;          ///< bytes of out.front() already sent (after headroom)
  size_t out_bytes = 0;
  bool remote_fin = false;
  bool local_fin = false;
  bool fin_pending = false; ///< send FIN once `out` drains
};

void put_header(uint8_t* p, ym::frame_type t, uint16_t flags, uint32_t id, uint32_t len) {
  auto h = ym::encode(ym::header{ym::protocol_version, t, flags, id, len});
  std::memcpy(p, h.data(), h.size());
}

class session_actor : public caf::event_based_actor {
public:
  session_actor(caf::actor_config& cfg, std::shared_ptr<const dmsg_session_context> ctx,
                io::stream_connection_ptr conn)
    : caf::event_based_actor(cfg), ctx_(std::move(ctx)), conn_(std::move(conn)) {
  }

  ~session_actor() override {
    release(true);
  }

  const char* name() const override {
    return "dmsg_server_session";
  }

  void on_exit() override {
    release();
  }

  caf::behavior make_behavior() override {
    start();
    return {
      [this](sdata_atom, byte_buffer& buf) { on_socket_data(buf); },
      [this](sclosed_atom) { close("connection closed"); },
      [this](hstimeout_atom) {
        if (!sess_.valid())
          close("handshake timeout");
      },
      [this](tick_atom) { on_tick(); },
      [this](resptimeout_atom, uint32_t id) {
        auto i = streams_.find(id);
        if (i != streams_.end() && i->second.ph == phase::awaiting_response) {
          fail_open(i->second);
          reset_stream(id, false, true);
          flush_out();
        }
      },
      [this](dsopen_atom, uint32_t a_id, caf::actor& a, relay_out_ptr& to_a, byte_buffer& req) {
        on_open(a_id, std::move(a), std::move(to_a), std::move(req));
        flush_out();
      },
      [this](dsopened_atom, uint32_t a_id, uint32_t b_id, caf::actor& b, relay_out_ptr& to_b,
             byte_buffer& resp) {
        on_opened(a_id, b_id, b, std::move(to_b), resp);
        flush_out();
      },
      [this](dsfail_atom, uint32_t a_id) {
        reset_stream(a_id, false, true);
        flush_out();
      },
      [this](dsrelay_atom, uint32_t id, byte_buffer& data) {
        on_relay(id, std::move(data));
        flush_out();
      },
      [this](dscredit_atom, uint32_t id, uint32_t n) {
        on_credit(id, n);
        flush_out();
      },
      [this](dsfin_atom, uint32_t id) {
        on_peer_fin(id);
        flush_out();
      },
      [this](dsrst_atom, uint32_t id) {
        reset_stream(id, false, true);
        flush_out();
      },
      [this](dscancel_atom, uint32_t a_id, const caf::actor& a) {
        // A gave up on a stream it asked us to open.
        for (auto& [id, st] : streams_)
          if (st.ph == phase::awaiting_response && st.peer_id == a_id && st.peer == a) {
            reset_stream(id, false, true);
            break;
          }
        flush_out();
      },
      [this](dsreplace_atom) { close("replaced by a newer session"); },
    };
  }

private:
  // -- lifetime ---------------------------------------------------------------------

  void start() {
    auto addr = caf::actor_cast<caf::actor_addr>(this);
    addr_ = addr;
    ctx_->registry->track(caf::actor_cast<caf::actor>(this));
    auto hs = nz::handshake::make({nz::pattern_kind::xk, nz::role::responder,
                                   ctx_->server_keys, public_key{}, std::nullopt});
    if (!hs) {
      close("bad server keys");
      return;
    }
    hs_.emplace(std::move(*hs));
    io::stream_connection::callbacks cbs;
    cbs.on_data = [addr](byte_buffer&& b) {
      if (auto a = caf::actor_cast<caf::actor>(addr))
        caf::anon_send(a, sdata_atom::value, std::move(b));
    };
    cbs.on_closed = [addr](const boost::system::error_code&) {
      if (auto a = caf::actor_cast<caf::actor>(addr))
        caf::anon_send(a, sclosed_atom::value);
    };
    conn_->start(std::move(cbs), 256 * 1024);
    delayed_send(this, ctx_->limits.handshake_timeout, hstimeout_atom::value);
    last_rx_ = clock_type::now();
  }

  /// Ends the session: resets every relayed stream on its peer, leaves the
  /// registry, closes the socket and quits.
  void close(const char* why) {
    if (closing_)
      return;
    closing_ = true;
    SKYWIRE_LOG(debug, "dmsg_server", "session closed", log::kv("reason", why),
                log::kv("remote", conn_ ? conn_->remote_endpoint() : std::string{}));
    std::vector<uint32_t> ids;
    for (auto& kv : streams_)
      ids.push_back(kv.first);
    for (auto id : ids)
      reset_stream(id, true, false);
    release();
    quit();
  }

  void release(bool in_destructor = false) {
    if (released_)
      return;
    released_ = true;
    if (registered_ && ctx_ && !in_destructor)
      ctx_->registry->remove(client_pk_, caf::actor_cast<caf::actor>(this));
    if (conn_)
      conn_->close();
    if (ctx_) {
      ctx_->registry->untrack(addr_);
      ctx_->registry->release_slot();
    }
    for (auto& kv : streams_)
      close_to_client(kv.second);
    streams_.clear();
  }

  // -- socket input -------------------------------------------------------------------

  void on_socket_data(byte_buffer& buf) {
    if (closing_)
      return;
    last_rx_ = clock_type::now();
    if (!sess_.valid()) {
      on_handshake_bytes(buf);
    } else {
      on_yamux_bytes(buf);
    }
    flush_out();
  }

  void on_handshake_bytes(const byte_buffer& buf) {
    pending_.insert(pending_.end(), buf.begin(), buf.end());
    while (!sess_.valid()) {
      auto f = nz::next_frame(pending_, 65);
      if (!f) {
        close("handshake frame too large");
        return;
      }
      if (!*f) {
        return; // next_frame bounds the body to 65 bytes
      }
      auto body = (*f)->body;
      size_t used = (*f)->consumed;
      if (auto err = hs_->read_message(body)) {
        close("bad handshake message");
        return;
      }
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
      if (!hs_->finished()) {
        byte_buffer out;
        if (auto err = hs_->write_frame(out)) {
          close("handshake write failed");
          return;
        }
        conn_->write(std::move(out));
        continue;
      }
      // Message 3 read: any byte after it is a protocol error (203).
      if (!pending_.empty()) {
        close("extra bytes after handshake (dmsg error 203)");
        return;
      }
      auto s = hs_->split();
      if (!s) {
        close("handshake split failed");
        return;
      }
      client_pk_ = hs_->remote_static();
      sess_ = std::move(*s);
      hs_.reset();
      byte_buffer{}.swap(pending_);
      auto self = caf::actor_cast<caf::actor>(this);
      auto old = ctx_->registry->add(client_pk_, self);
      registered_ = true;
      if (old && old != self)
        anon_send(old, dsreplace_atom::value);
      schedule_tick();
    }
  }

  void on_yamux_bytes(byte_buffer& buf) {
    byte_span in;
    if (pending_.empty()) {
      in = byte_span{buf};
    } else {
      pending_.insert(pending_.end(), buf.begin(), buf.end());
      in = byte_span{pending_};
    }
    ym::parse_limits lim;
    lim.max_body = window;
    size_t pos = 0;
    while (!closing_) {
      auto step = ym::parse_frame(in.subspan(pos), lim);
      if (!step) {
        close("yamux protocol error");
        return;
      }
      if (!step->frame)
        break;
      pos += step->consumed;
      on_frame(step->frame->hdr, step->frame->body);
    }
    if (closing_)
      return;
    flush_batches();
    // Keep only the incomplete tail; release large buffers while idle.
    if (pending_.empty()) {
      if (pos < buf.size())
        pending_.assign(buf.begin() + static_cast<std::ptrdiff_t>(pos), buf.end());
    } else {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos));
      if (pending_.empty())
        byte_buffer{}.swap(pending_);
    }
  }

  void on_frame(const ym::header& h, byte_span body) {
    switch (h.type) {
      case ym::frame_type::ping:
        if (h.has(ym::flag::syn))
          append_header(ym::frame_type::ping, ym::flag::ack, 0, h.length);
        return;
      case ym::frame_type::go_away:
        close("go away");
        return;
      case ym::frame_type::data:
      case ym::frame_type::window_update:
        break;
    }
    uint32_t id = h.stream_id;
    if (id == 0) {
      close("stream id 0");
      return;
    }
    auto it = streams_.find(id);
    if (h.has(ym::flag::syn)) {
      if (it != streams_.end() || (id & 1) == 0) {
        close("bad stream open");
        return;
      }
      if (streams_.size() >= ctx_->limits.max_streams) {
        append_header(ym::frame_type::window_update, ym::flag::rst, id, 0);
        return;
      }
      it = streams_.emplace(id, stream_state{}).first;
      it->second.to_client = std::make_shared<relay_out>(conn_, id, window);
      append_header(ym::frame_type::window_update, ym::flag::ack, id, 0);
    }
    if (it == streams_.end())
      return; // a stream we already reset: ignore, as yamux does
    auto& st = it->second;
    if (h.type == ym::frame_type::window_update) {
      bool overflow;
      {
        std::lock_guard<std::mutex> guard{st.to_client->mtx};
        overflow = uint64_t{st.to_client->send_window} + h.length > 0xffffffffu;
        if (!overflow)
          st.to_client->send_window += h.length;
      }
      if (overflow) {
        close("window overflow");
        return;
      }
      if (!st.out.empty())
        drain(id, st);
    } else if (!body.empty()) {
      if (body.size() > st.recv_window) {
        close("receive window exceeded");
        return;
      }
      st.recv_window -= static_cast<uint32_t>(body.size());
      on_stream_data(id, st, body);
      if (closing_)
        return;
      // The stream may be gone (reset while handling the data).
      if (auto j = streams_.find(id); j != streams_.end())
        maybe_grant(id, j->second);
      else
        return;
    }
    if (h.has(ym::flag::rst)) {
      reset_stream(id, true, false);
      return;
    }
    if (h.has(ym::flag::fin))
      on_client_fin(id);
  }

  // -- stream data from our client ------------------------------------------------

  void on_stream_data(uint32_t id, stream_state& st, byte_span body) {
    switch (st.ph) {
      case phase::awaiting_request: {
        auto r = st.reader.feed(body);
        if (!r) {
          reset_stream(id, false, true);
          return;
        }
        if (*r)
          on_request(id, st);
        return;
      }
      case phase::awaiting_response: {
        auto r = st.reader.feed(body);
        if (!r) {
          fail_open(st);
          reset_stream(id, false, true);
          return;
        }
        if (*r)
          on_response(id, st);
        return;
      }
      case phase::awaiting_peer:
        if (st.early.size() + body.size() > window) {
          reset_stream(id, true, true);
          return;
        }
        st.early.insert(st.early.end(), body.begin(), body.end());
        return;
      case phase::spliced: {
        auto& b = batch_for(id);
        b.insert(b.end(), body.begin(), body.end());
        return;
      }
    }
  }

  byte_buffer& batch_for(uint32_t id) {
    for (auto& b : batches_)
      if (b.first == id)
        return b.second;
    batches_.emplace_back(id, byte_buffer{});
    batches_.back().second.reserve(headroom + 16 * 1024);
    batches_.back().second.resize(headroom);
    return batches_.back().second;
  }

  /// Sends everything one read produced, one message per stream.
  void flush_batches() {
    for (auto& [id, buf] : batches_) {
      auto i = streams_.find(id);
      if (i == streams_.end() || !i->second.peer || buf.size() <= headroom)
        continue;
      relay_to_peer(id, i->second, std::move(buf));
    }
    batches_.clear();
  }

  void flush_batch(uint32_t id) {
    for (auto it = batches_.begin(); it != batches_.end(); ++it) {
      if (it->first != id)
        continue;
      auto i = streams_.find(id);
      if (i != streams_.end() && i->second.peer && it->second.size() > headroom)
        relay_to_peer(id, i->second, std::move(it->second));
      batches_.erase(it);
      return;
    }
  }

  /// A's side: the StreamRequest is complete.
  void on_request(uint32_t id, stream_state& st) {
    auto plain = st.reader.open(sess_);
    if (!plain) {
      reset_stream(id, false, true);
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
      reset_stream(id, false, true);
      return;
    }
    // The object's bytes are consumed here: give the window back.
    grant(id, st, static_cast<uint32_t>(st.reader.buffered()));
    auto peer = ctx_->registry->find(req->req.dst.pk);
    if (!peer || req->req.dst.pk == client_pk_) {
      // The reference drops the stream silently (the client waits 20 s);
      // a reset lets the client fail at once (307).
      reset_stream(id, false, true);
      return;
    }
    // Stream bytes that followed the request wait for the splice.
    st.early = std::move(st.reader.leftover());
    st.reader = dmsg::object_reader{};
    st.ph = phase::awaiting_peer;
    st.peer = peer;
    anon_send(peer, dsopen_atom::value, id, caf::actor_cast<caf::actor>(this), st.to_client,
              std::move(req->bytes));
  }

  /// B's side: another session asks us to open a stream to our client.
  void on_open(uint32_t a_id, caf::actor a, relay_out_ptr to_a, byte_buffer req) {
    if (closing_ || !sess_.valid() || streams_.size() >= ctx_->limits.max_streams
        || next_id_ > 0xfffffff0u) {
      anon_send(a, dsfail_atom::value, a_id);
      return;
    }
    uint32_t id = next_id_;
    next_id_ += 2;
    auto& st = streams_[id];
    st.ph = phase::awaiting_response;
    st.peer = std::move(a);
    st.peer_id = a_id;
    st.to_peer = std::move(to_a);
    st.to_client = std::make_shared<relay_out>(conn_, id, window);
    st.req_hash = crypto::sha256(req);
    byte_buffer obj;
    if (dmsg::seal_object(sess_, req, obj)) {
      anon_send(st.peer, dsfail_atom::value, a_id);
      streams_.erase(id);
      return;
    }
    append_header(ym::frame_type::window_update, ym::flag::syn, id, 0);
    append_data(id, obj);
    st.to_client->send_window -= static_cast<uint32_t>(obj.size()); // not shared yet
    delayed_send(this, ctx_->limits.response_timeout, resptimeout_atom::value, id);
  }

  /// B's side: the StreamResponse is complete.
  void on_response(uint32_t id, stream_state& st) {
    auto plain = st.reader.open(sess_);
    if (!plain) {
      fail_open(st);
      reset_stream(id, false, true);
      return;
    }
    auto resp = dmsg::verify_stream_response(*plain, st.req_hash, client_pk_);
    if (!resp) {
      SKYWIRE_LOG(debug, "dmsg_server", "stream response refused",
                  log::kv("error", describe(resp.error())));
      fail_open(st);
      reset_stream(id, false, true);
      return;
    }
    grant(id, st, static_cast<uint32_t>(st.reader.buffered()));
    auto rest = std::move(st.reader.leftover());
    st.reader = dmsg::object_reader{};
    st.ph = phase::spliced;
    open_relay_buffer(id, st);
    open_to_client(st);
    anon_send(st.peer, dsopened_atom::value, st.peer_id, id, caf::actor_cast<caf::actor>(this),
              st.to_client, std::move(resp->bytes));
    if (!rest.empty()) {
      // Data the responder wrote right after its response (A's side is not
      // open yet: this goes by message, after dsopened).
      byte_buffer b(headroom);
      b.insert(b.end(), rest.begin(), rest.end());
      relay_to_peer(id, st, std::move(b));
    }
  }

  void fail_open(stream_state& st) {
    if (st.peer && st.ph == phase::awaiting_response) {
      anon_send(st.peer, dsfail_atom::value, st.peer_id);
      st.peer = caf::actor{};
    }
  }

  /// A's side: B's session accepted and forwarded the response.
  void on_opened(uint32_t a_id, uint32_t b_id, const caf::actor& b, relay_out_ptr to_b,
                 const byte_buffer& resp) {
    auto i = streams_.find(a_id);
    if (i == streams_.end() || i->second.ph != phase::awaiting_peer) {
      // We reset this stream meanwhile: B's side goes too.
      anon_send(b, dsrst_atom::value, b_id);
      return;
    }
    auto& st = i->second;
    st.peer_id = b_id;
    st.to_peer = std::move(to_b);
    byte_buffer obj;
    bool fits = false;
    if (!dmsg::seal_object(sess_, resp, obj)) {
      std::lock_guard<std::mutex> guard{st.to_client->mtx}; // B's data waits: not open
      fits = obj.size() <= st.to_client->send_window;
      if (fits)
        st.to_client->send_window -= static_cast<uint32_t>(obj.size());
    }
    if (!fits) {
      reset_stream(a_id, true, true);
      return;
    }
    append_data(a_id, obj);
    st.ph = phase::spliced;
    open_relay_buffer(a_id, st);
    open_to_client(st);
    if (!st.out.empty())
      drain(a_id, st);
    if (!st.early.empty()) {
      byte_buffer b(headroom);
      b.insert(b.end(), st.early.begin(), st.early.end());
      byte_buffer{}.swap(st.early);
      relay_to_peer(a_id, st, std::move(b));
    }
    if (st.remote_fin)
      anon_send(st.peer, dsfin_atom::value, st.peer_id);
  }

  // -- relay toward our client ------------------------------------------------------

  /// Relays data of our client's stream to the other client: straight onto
  /// the other session's connection when it allows (then our client gets the
  /// window back at once), else as `dsrelay` to the other session.
  void relay_to_peer(uint32_t id, stream_state& st, byte_buffer data) {
    auto len = static_cast<uint32_t>(data.size() - headroom);
    auto& r = st.to_peer;
    if (!r) { // not spliced (cannot happen: data is only batched once spliced)
      anon_send(st.peer, dsrelay_atom::value, st.peer_id, std::move(data));
      return;
    }
    {
      std::lock_guard<std::mutex> guard{r->mtx};
      if (!r->open || r->queued > 0 || len > r->send_window) {
        r->queued += len;
        anon_send(st.peer, dsrelay_atom::value, st.peer_id, std::move(data));
        return;
      }
      put_header(data.data(), ym::frame_type::data, 0, r->id, len);
      r->send_window -= len;
      // A failed write means the other session's connection is closed: its
      // session resets the stream on both sides.
      r->conn->write(std::move(data));
    }
    grant(id, st, len);
  }

  /// Our side of the splice is up: the other session may write to our client.
  void open_to_client(stream_state& st) {
    flush_out(); // the response object (A's side) goes first
    std::lock_guard<std::mutex> guard{st.to_client->mtx};
    st.to_client->open = true;
  }

  /// No more data toward our client (FIN sent, reset, session closing).
  void close_to_client(stream_state& st) {
    if (!st.to_client)
      return;
    std::lock_guard<std::mutex> guard{st.to_client->mtx};
    st.to_client->open = false;
  }

  void on_relay(uint32_t id, byte_buffer data) {
    auto i = streams_.find(id);
    if (i == streams_.end() || data.size() <= headroom || i->second.local_fin)
      return;
    auto& st = i->second;
    size_t len = data.size() - headroom;
    if (st.out_bytes + len
        > std::max<size_t>(ctx_->limits.max_stream_backlog,
                           size_t{window} + ctx_->limits.relay_buffer)) {
      // The other session sent beyond the credit we gave: a bug or abuse.
      reset_stream(id, true, true);
      return;
    }
    st.out.push_back(std::move(data));
    st.out_bytes += len;
    if (st.ph == phase::spliced)
      drain(id, st);
  }

  /// Writes relay data queued by `dsrelay` within the client's window; the
  /// other session writes directly again once nothing is queued.
  void drain(uint32_t id, stream_state& st) {
    uint32_t credited = 0;
    std::unique_lock<std::mutex> guard{st.to_client->mtx};
    auto& r = *st.to_client;
    while (!st.out.empty() && r.send_window > 0) {
      auto& front = st.out.front();
      size_t avail = front.size() - headroom - st.out_front;
      size_t n = std::min<size_t>(avail, r.send_window);
      if (st.out_front == 0 && n == avail) {
        put_header(front.data(), ym::frame_type::data, 0, id, static_cast<uint32_t>(n));
        write_buf(std::move(front));
        st.out.pop_front();
      } else {
        byte_buffer b(headroom + n);
        put_header(b.data(), ym::frame_type::data, 0, id, static_cast<uint32_t>(n));
        std::memcpy(b.data() + headroom, front.data() + headroom + st.out_front, n);
        write_buf(std::move(b));
        st.out_front += n;
        if (st.out_front == front.size() - headroom) {
          st.out.pop_front();
          st.out_front = 0;
        }
      }
      r.send_window -= static_cast<uint32_t>(n);
      r.queued -= std::min(r.queued, n);
      st.out_bytes -= n;
      credited += static_cast<uint32_t>(n);
    }
    guard.unlock();
    credit_peer(st, credited, st.out.empty());
    if (st.out.empty() && st.fin_pending) {
      st.fin_pending = false;
      send_fin(id, st);
    }
  }

  /// The other session wrote n bytes of ours to its client: our client may
  /// send n more.
  void on_credit(uint32_t id, uint32_t n) {
    auto i = streams_.find(id);
    if (i == streams_.end())
      return;
    grant(id, i->second, n);
  }

  /// Lets the client run ahead of the other client's window by the relay
  /// buffer (bounded: the other session queues at most that much).
  void open_relay_buffer(uint32_t id, stream_state& st) {
    auto extra = ctx_->limits.relay_buffer;
    if (extra == 0)
      return;
    st.recv_max = window + extra;
    grant(id, st, extra);
  }

  /// The client may send n more bytes. The window update is written only
  /// once the client's remaining window is below half of its bound (as
  /// hashicorp/yamux and the client's flow_control::take_update do), so a
  /// steady stream costs one update per half window, not one per frame.
  void grant(uint32_t id, stream_state& st, uint32_t n) {
    uint32_t room = st.recv_max - st.recv_window - st.grant_pending;
    st.grant_pending += std::min(n, room);
    maybe_grant(id, st);
  }

  /// Writes the owed window update if the client's window fell below half.
  /// Called on every credit and on every data frame from the client.
  void maybe_grant(uint32_t id, stream_state& st) {
    if (st.grant_pending == 0 || st.recv_window >= st.recv_max / 2)
      return;
    st.recv_window += st.grant_pending;
    append_header(ym::frame_type::window_update, 0, id, st.grant_pending);
    st.grant_pending = 0;
  }

  /// n relayed bytes were written to our client: the sending session may
  /// re-open its client's window by as much (batched, see credit_batch).
  void credit_peer(stream_state& st, uint32_t n, bool now) {
    st.credit_pending += n;
    if (st.credit_pending == 0 || !st.peer || (st.credit_pending < credit_batch && !now))
      return;
    anon_send(st.peer, dscredit_atom::value, st.peer_id, st.credit_pending);
    st.credit_pending = 0;
  }

  // -- closing streams ----------------------------------------------------------------

  void on_client_fin(uint32_t id) {
    auto i = streams_.find(id);
    if (i == streams_.end())
      return;
    auto& st = i->second;
    if (st.remote_fin)
      return;
    st.remote_fin = true;
    switch (st.ph) {
      case phase::spliced:
        flush_batch(id);
        anon_send(st.peer, dsfin_atom::value, st.peer_id);
        break;
      case phase::awaiting_peer:
        break; // forwarded after the splice
      case phase::awaiting_request:
      case phase::awaiting_response:
        fail_open(st);
        reset_stream(id, true, true);
        return;
    }
    maybe_erase(id, st);
  }

  void on_peer_fin(uint32_t id) {
    auto i = streams_.find(id);
    if (i == streams_.end())
      return;
    auto& st = i->second;
    if (!st.out.empty()) {
      st.fin_pending = true;
      return;
    }
    send_fin(id, st);
  }

  void send_fin(uint32_t id, stream_state& st) {
    if (st.local_fin)
      return;
    st.local_fin = true;
    close_to_client(st);
    append_header(ym::frame_type::window_update, ym::flag::fin, id, 0);
    maybe_erase(id, st);
  }

  void maybe_erase(uint32_t id, stream_state& st) {
    if (st.local_fin && st.remote_fin)
      streams_.erase(id);
  }

  /// Resets a stream: tells the other session (`to_peer`) and our client
  /// (`to_client`, an RST frame), then forgets it.
  void reset_stream(uint32_t id, bool to_peer, bool to_client) {
    auto i = streams_.find(id);
    if (i == streams_.end())
      return;
    auto& st = i->second;
    if (to_peer && st.peer) {
      if (st.peer_id != 0)
        anon_send(st.peer, dsrst_atom::value, st.peer_id);
      else if (st.ph == phase::awaiting_peer) // B has not answered yet
        anon_send(st.peer, dscancel_atom::value, id, caf::actor_cast<caf::actor>(this));
    }
    close_to_client(st);
    if (to_client)
      append_header(ym::frame_type::window_update, ym::flag::rst, id, 0);
    streams_.erase(i);
  }

  // -- keepalive ------------------------------------------------------------------------

  void schedule_tick() {
    auto every = std::min(ctx_->limits.keepalive_interval, ctx_->limits.idle_timeout / 2);
    if (every.count() <= 0)
      every = std::chrono::milliseconds{1000};
    delayed_send(this, every, tick_atom::value);
  }

  void on_tick() {
    if (closing_)
      return;
    auto idle = clock_type::now() - last_rx_;
    if (idle > ctx_->limits.idle_timeout) {
      close("idle timeout");
      return;
    }
    append_header(ym::frame_type::ping, ym::flag::syn, 0, ++ping_id_);
    flush_out();
    schedule_tick();
  }

  // -- output ---------------------------------------------------------------------------

  void append_header(ym::frame_type t, uint16_t flags, uint32_t id, uint32_t len) {
    size_t off = out_.size();
    out_.resize(off + headroom);
    put_header(out_.data() + off, t, flags, id, len);
  }

  void append_data(uint32_t id, const byte_buffer& body) {
    size_t off = out_.size();
    out_.resize(off + headroom + body.size());
    put_header(out_.data() + off, ym::frame_type::data, 0, id,
               static_cast<uint32_t>(body.size()));
    std::memcpy(out_.data() + off + headroom, body.data(), body.size());
  }

  // A failed write (queue over its bound: the client does not read) closes
  // the socket; the session ends when the close is reported (callers may
  // still hold references into streams_, so nothing is torn down here).
  void write_buf(byte_buffer b) {
    flush_out();
    if (!closing_ && !conn_->write(std::move(b)))
      conn_->close();
  }

  void flush_out() {
    if (out_.empty() || closing_)
      return;
    byte_buffer b;
    b.swap(out_);
    if (!conn_->write(std::move(b)))
      conn_->close();
  }

  std::shared_ptr<const dmsg_session_context> ctx_;
  io::stream_connection_ptr conn_;
  std::optional<nz::handshake> hs_;
  nz::session sess_;
  public_key client_pk_;
  bool registered_ = false;
  bool closing_ = false;
  bool released_ = false;
  byte_buffer pending_; ///< incomplete handshake message or yamux frame
  byte_buffer out_;     ///< control frames collected while handling one message
  std::unordered_map<uint32_t, stream_state> streams_;
  std::vector<std::pair<uint32_t, byte_buffer>> batches_;
  uint32_t next_id_ = 2;
  uint32_t ping_id_ = 0;
  clock_type::time_point last_rx_;
  caf::actor_addr addr_;
};

} // namespace

caf::actor spawn_dmsg_server_session(caf::actor_system& sys,
                                     std::shared_ptr<const dmsg_session_context> ctx,
                                     io::stream_connection_ptr conn) {
  return sys.spawn<session_actor>(std::move(ctx), std::move(conn));
}

} // namespace skywire::services
