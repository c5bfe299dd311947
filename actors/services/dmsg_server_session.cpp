#include "actors/services/dmsg_server_session.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/dmsg/objects.hpp"
#include "actors/services/dmsg_server_link.hpp"
#include "actors/services/dmsg_server_registry.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/log/logger.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::dmsg_relay::relay_tx_ptr)

namespace skywire::services {

namespace {

namespace ym = wire::yamux;
namespace nz = crypto::noise;
namespace rl = dmsg_relay;
using byte_buffer = io::byte_buffer;
using rl::relay_tx_ptr;

using hsframe_atom = caf::atom_constant<caf::atom("dshsframe")>;
using ctldata_atom = caf::atom_constant<caf::atom("dsctldata")>;
using ctlrst_atom = caf::atom_constant<caf::atom("dsctlrst")>;
using linkfail_atom = caf::atom_constant<caf::atom("dslinkfail")>;
using finsent_atom = caf::atom_constant<caf::atom("dsfinsent")>;
using sclosed_atom = caf::atom_constant<caf::atom("dssclosed")>;
using hstimeout_atom = caf::atom_constant<caf::atom("dshstmo")>;
using tick_atom = caf::atom_constant<caf::atom("dstick")>;
using resptimeout_atom = caf::atom_constant<caf::atom("dsresptmo")>;

constexpr uint32_t window = ym::initial_stream_window;

/// What the link and the relays tell the session, from io threads: every
/// event is a message to the actor (they are called with locks held).
class session_events final : public rl::link_hooks, public rl::stream_events {
public:
  explicit session_events(caf::actor_addr a) : addr_(std::move(a)) {}
  void handshake_frame(byte_buffer body, bool extra_after) override {
    send(hsframe_atom::value, std::move(body), extra_after);
  }
  void control_data(uint32_t id) override { send(ctldata_atom::value, id); }
  void control_reset(uint32_t id) override { send(ctlrst_atom::value, id); }
  void failed(const char* reason) override { send(linkfail_atom::value, std::string{reason}); }
  void reset_stream(uint32_t id) override { send(dsrst_atom::value, id); }
  void fin_sent(uint32_t id) override { send(finsent_atom::value, id); }

private:
  template <class... Ts>
  void send(Ts&&... xs) {
    if (auto a = caf::actor_cast<caf::actor>(addr_))
      caf::anon_send(a, std::forward<Ts>(xs)...);
  }
  caf::actor_addr addr_;
};

enum class phase : uint8_t {
  awaiting_request,  ///< client-opened stream: the StreamRequest is being read
  awaiting_peer,     ///< request forwarded, waiting for the other session
  awaiting_response, ///< server-opened stream: the StreamResponse is being read
};

/// A stream in the open protocol (spliced streams live in the link only).
struct open_state {
  phase ph = phase::awaiting_request;
  caf::actor peer;       ///< the other session
  uint32_t peer_id = 0;  ///< the stream id on the other session
  relay_tx_ptr to_peer;  ///< server-opened: data toward the other client
  dmsg::object_reader reader;
  byte_buffer early;     ///< stream data that followed the request
  sha256_digest req_hash;
};

class session_actor : public caf::event_based_actor {
public:
  session_actor(caf::actor_config& cfg, std::shared_ptr<const dmsg_session_context> ctx,
                io::stream_connection_ptr conn)
    : caf::event_based_actor(cfg), ctx_(std::move(ctx)), conn_(std::move(conn)) {}

  ~session_actor() override { release(true); }

  const char* name() const override { return "dmsg_server_session"; }

  void on_exit() override { release(); }

  caf::behavior make_behavior() override {
    start();
    return {
      [this](hsframe_atom, byte_buffer& body, bool extra) { on_handshake_frame(body, extra); },
      [this](ctldata_atom, uint32_t id) { on_control(id); },
      [this](ctlrst_atom, uint32_t id) { reset_open(id, true, false); },
      [this](linkfail_atom, const std::string& why) { close(why.c_str()); },
      [this](finsent_atom, uint32_t id) { link_->fin_sent(id); },
      [this](sclosed_atom) { close("connection closed"); },
      [this](hstimeout_atom) {
        if (!sess_.valid())
          close("handshake timeout");
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
      [this](dsreplace_atom) { close("replaced by a newer session"); },
    };
  }

private:
  // -- lifetime ---------------------------------------------------------------------

  void start() {
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
    cbs.on_data = [weak](byte_buffer&& b) {
      if (auto l = weak.lock())
        l->on_data(std::move(b));
    };
    cbs.on_sent = [weak](size_t) {
      if (auto l = weak.lock())
        l->on_sent();
    };
    cbs.on_closed = [addr](const boost::system::error_code&) {
      if (auto a = caf::actor_cast<caf::actor>(addr))
        caf::anon_send(a, sclosed_atom::value);
    };
    conn_->start(std::move(cbs), 256 * 1024);
    delayed_send(this, ctx_->limits.handshake_timeout, hstimeout_atom::value);
  }

  /// Ends the session: resets every stream on its peer, leaves the registry,
  /// closes the socket and quits.
  void close(const char* why) {
    if (closing_)
      return;
    closing_ = true;
    SKYWIRE_LOG(debug, "dmsg_server", "session closed", log::kv("reason", why),
                log::kv("remote", conn_ ? conn_->remote_endpoint() : std::string{}));
    std::vector<uint32_t> ids;
    for (auto& kv : opens_)
      ids.push_back(kv.first);
    for (auto id : ids)
      reset_open(id, true, false);
    release();
    quit();
  }

  void release(bool in_destructor = false) {
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
      ctx_->registry->release_slot();
    }
    opens_.clear();
  }

  // -- handshake ------------------------------------------------------------------------

  void on_handshake_frame(const byte_buffer& body, bool extra) {
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

  // -- the stream open protocol -------------------------------------------------------

  /// The link has bytes (or a FIN) of a stream in the open protocol.
  void on_control(uint32_t id) {
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
  void on_request(uint32_t id, open_state& st) {
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
  void on_open(uint32_t a_id, caf::actor a, relay_tx_ptr to_a, const byte_buffer& req) {
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
  void on_response(uint32_t id, open_state& st) {
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
  void on_opened(uint32_t a_id, uint32_t b_id, const caf::actor& b, relay_tx_ptr to_b,
                 const byte_buffer& resp) {
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

  void fail_open(open_state& st) {
    if (st.peer && st.ph == phase::awaiting_response) {
      anon_send(st.peer, dsfail_atom::value, st.peer_id);
      st.peer = caf::actor{};
    }
  }

  /// Resets a stream: tells the other session if it is in the open protocol
  /// (`to_peer`), sends RST to our client (`to_client`) and forgets it.
  /// Spliced streams: the link resets the peer's side through its relay.
  void reset_open(uint32_t id, bool to_peer, bool to_client) {
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
    auto idle = std::chrono::steady_clock::now() - link_->last_rx();
    if (idle > ctx_->limits.idle_timeout) {
      close("idle timeout");
      return;
    }
    link_->write_control(ym::frame_type::ping, ym::flag::syn, 0, ++ping_id_);
    schedule_tick();
  }

  std::shared_ptr<const dmsg_session_context> ctx_;
  io::stream_connection_ptr conn_;
  std::shared_ptr<rl::dmsg_server_link> link_;
  std::optional<nz::handshake> hs_;
  nz::session sess_;
  public_key client_pk_;
  bool registered_ = false;
  bool closing_ = false;
  bool released_ = false;
  std::unordered_map<uint32_t, open_state> opens_;
  uint32_t next_id_ = 2;
  uint32_t ping_id_ = 0;
  caf::actor_addr addr_;
};

} // namespace

caf::actor spawn_dmsg_server_session(caf::actor_system& sys,
                                     std::shared_ptr<const dmsg_session_context> ctx,
                                     io::stream_connection_ptr conn) {
  return sys.spawn<session_actor>(std::move(ctx), std::move(conn));
}

} // namespace skywire::services
