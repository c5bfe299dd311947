#include "actors/services/dmsg_server_handshake.hpp"

#include <boost/asio/error.hpp>

#include "actors/services/dmsg_server_registry.hpp"
#include "actors/services/dmsg_server_session_actor.hpp"
#include "runtime/crypto/noise/ephemeral_pool.hpp"
#include "runtime/crypto/noise/replay_cache.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/log/rate_limit.hpp"
#include "runtime/system/io_thread_spawn.hpp"

namespace skywire::services::session_detail {

namespace {

std::string cause_of(const boost::system::error_code& ec) {
  namespace ae = boost::asio::error;
  if (ec == ae::eof)
    return "peer closed the connection";
  if (ec == ae::connection_reset)
    return "peer reset the connection";
  if (ec == ae::operation_aborted)
    return "closed by the server";
  return ec.message();
}

/// One read while the handshake runs: message 1 or 3 (2 + at most 65
/// bytes) with room to spare; a session reads up to 256 KiB at once.
constexpr size_t handshake_max_read = 512;
constexpr size_t session_max_read = 256 * 1024;

} // namespace

void server_handshake::start(caf::actor_system& sys,
                             std::shared_ptr<const dmsg_session_context> ctx,
                             io::stream_connection_ptr conn, io::admission_ticket_ptr ticket) {
  auto hs = std::make_shared<server_handshake>(sys, std::move(ctx), conn, std::move(ticket));
  // Everything from here runs on the connection's own io thread.
  conn->post([hs] { hs->begin(); });
}

server_handshake::server_handshake(caf::actor_system& sys,
                                   std::shared_ptr<const dmsg_session_context> ctx,
                                   io::stream_connection_ptr conn, io::admission_ticket_ptr ticket)
  : sys_(sys), ctx_(std::move(ctx)), conn_(std::move(conn)), ticket_(std::move(ticket)) {}

server_handshake::~server_handshake() {
  if (ticket_)
    ticket_->release();
}

void server_handshake::begin() {
  events_ = std::make_shared<session_events>();
  events_->attach_handshake(weak_from_this());
  dmsg_relay::link_config lc;
  const auto& lim = ctx_->limits;
  lc.max_streams = lim.max_streams;
  lc.relay_buffer = lim.relay_buffer;
  lc.relay_window_cap = lim.relay_window_cap;
  lc.relay_growth_budget = lim.relay_growth_budget;
  lc.relay_grow_interval = lim.relay_grow_interval;
  // A relay queue holds at most what the sender's window lets it send.
  lc.max_backlog = std::max<size_t>({lim.max_stream_backlog, size_t{window} + lim.relay_buffer,
                                     size_t{lim.relay_window_cap}});
  lc.sink_limit = lim.relay_sink_limit;
  sink_ = std::make_shared<dmsg_relay::connection_sink>(conn_);
  link_ = std::make_shared<dmsg_relay::dmsg_server_link>(sink_, events_, events_, lc,
                                                         ctx_->registry->relay());
  auto hs = crypto::noise::handshake::make({crypto::noise::pattern_kind::xk,
                                            crypto::noise::role::responder, ctx_->server_keys,
                                            public_key{}, std::nullopt});
  if (!hs) {
    close("bad server keys");
    return;
  }
  hs_.emplace(std::move(*hs));
  // on_sent only resumes relay data that waited for a full connection to
  // drain (queued writes report it): no report (and no wake-up) per direct write.
  conn_->set_direct_send_reports(false);
  // The deadline the admission control gave this connection (it shrinks
  // while many handshakes are pending), on the shard's timer wheel.
  auto deadline = ticket_ ? ticket_->deadline() : ctx_->limits.handshake_timeout;
  std::weak_ptr<server_handshake> me = weak_from_this();
  deadline_ = conn_->timers().schedule(deadline, [me] {
    if (auto h = me.lock()) {
      h->deadline_ = 0;
      if (!h->done_) {
        if (h->ctx_->admission)
          h->ctx_->admission->count(io::refusal::deadline);
        h->close("handshake timeout");
      }
    }
  });
  // Keeps this object alive until the handshake ends: the timer and the
  // events hold it weakly, the connection's callbacks not at all.
  self_ = shared_from_this();
  // Until the client is authenticated a read takes at most a few handshake
  // frames: a flood's garbage is refused at its length prefix, not copied out.
  conn_->start(make_callbacks(), handshake_max_read);
}

io::stream_connection::callbacks server_handshake::make_callbacks() {
  // The connection holds the link weakly: the handshake, then the session
  // actor, owns it.
  std::weak_ptr<dmsg_relay::dmsg_server_link> weak = link_;
  io::stream_connection::callbacks cbs;
  cbs.on_span = [weak](byte_span b) {
    if (auto l = weak.lock())
      l->on_data(b);
  };
  cbs.on_sent = [weak](size_t) {
    if (auto l = weak.lock())
      l->on_sent();
  };
  cbs.on_closed = [ev = events_](const boost::system::error_code& ec) { ev->closed(cause_of(ec)); };
  return cbs;
}

void server_handshake::on_frame(io::byte_buffer body, bool extra) {
  if (done_ || !hs_)
    return;
  // Message 1 starts with the client's ephemeral key: one seen before is a
  // replay, refused before any DH (replay_cache.hpp).
  auto& replays = crypto::noise::replay_cache::process();
  std::span<const uint8_t> eph;
  if (first_message_) {
    first_message_ = false;
    if (body.size() >= ephemeral_len) {
      eph = std::span<const uint8_t>{body.data(), ephemeral_len};
      if (replays.seen(eph)) {
        if (ctx_->admission)
          ctx_->admission->count(io::refusal::replayed);
        close("replayed handshake message 1 (its ephemeral key was seen before)");
        return;
      }
    }
  }
  if (auto err = hs_->read_message(body)) {
    close("bad handshake message");
    return;
  }
  if (!eph.empty())
    replays.insert(eph);
  if (!hs_->finished()) {
    io::byte_buffer out;
    if (auto err = hs_->write_frame(out)) {
      close("handshake write failed");
      return;
    }
    conn_->write(std::move(out));
    // Message 2 is out; message 3 is a round trip away: make the next
    // session's ephemeral then (posted: the link's mutex is held here).
    conn_->post([] {
      crypto::noise::ephemeral_pool::process().refill(crypto::noise::ephemeral_pool::idle_refill);
    });
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
  sess_.emplace(std::move(*s));
  // The link calls us with its mutex held: finish outside of it.
  done_ = true;
  conn_->post([self = shared_from_this()] { self->complete(); });
}

bool server_handshake::on_failed(const std::string& why) {
  if (done_)
    return closed_; // verified: the session actor is coming and gets it
  if (ticket_ && ticket_->evicted()) {
    close("admission: evicted in its handshake for a newer connection (pending budget full)");
    return true;
  }
  close(why);
  return true;
}

void server_handshake::complete() {
  if (deadline_ != 0) {
    conn_->timers().cancel(deadline_);
    deadline_ = 0;
  }
  auto keep = std::move(self_);
  // (A connection that ended since the last message: the events kept the
  // cause and hand it to the actor, which closes at once.)
  // Pushed out for a newcomer while message 3 was on its way: its close may
  // still be queued for this connection, which is about to move.
  if (ticket_ && ticket_->evicted()) {
    close("admission: evicted in its handshake for a newer connection (pending budget full)");
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
  if (ticket_)
    ticket_->release();
  move_to_session_shard(); // (the callbacks it installs hold link_ weakly)
  conn_->set_max_read(session_max_read);
  auto est = std::make_shared<established>();
  est->link = std::move(link_);
  est->events = events_;
  est->client = hs_->remote_static();
  est->sess = std::move(*sess_);
  hs_.reset();
  sess_.reset();
  est_ = std::move(est);
  // The keepalive is armed on the shard the session runs on.
  conn_->post([keep] { keep->establish(); });
}

void server_handshake::move_to_session_shard() {
  if (!ctx_->session_shard)
    return;
  auto* target = ctx_->session_shard();
  if (!target)
    return;
  // Nothing is queued toward the client here (message 2 left long ago, the
  // client waits for nothing), so the socket moves as it is; the bytes it
  // sent after message 3 wait in the link (held), in the kernel, or in the
  // old connection's pending read, which hands them to the moved one.
  auto moved = conn_->move_to(*target);
  if (!moved)
    return; // stays on this shard (works the same, only shares its loop)
  sink_->retarget(moved);
  conn_ = std::move(moved);
  conn_->start(make_callbacks(), session_max_read);
}

void server_handshake::establish() {
  auto est = std::move(est_);
  start_keepalive(est->link);
  system::spawn_from_io_thread([&] {
    return sys_.spawn<session_actor>(ctx_, conn_, std::move(est));
  });
}

// The session's keepalive on the shard's timer wheel: a ping every
// keepalive_interval (at most half the idle timeout); a client silent for
// idle_timeout is reported to the actor, which closes. It stops by itself
// once the link is gone.
void server_handshake::start_keepalive(const std::shared_ptr<dmsg_relay::dmsg_server_link>& link) {
  struct keepalive : std::enable_shared_from_this<keepalive> {
    std::weak_ptr<dmsg_relay::dmsg_server_link> link;
    std::weak_ptr<session_events> events;
    io::stream_connection_ptr conn;
    std::chrono::milliseconds every;
    std::chrono::milliseconds idle;
    uint32_t ping_id = 0;
    void arm() {
      conn->timers().schedule(every, [self = shared_from_this()] { self->tick(); });
    }
    void tick() {
      auto l = link.lock();
      if (!l)
        return; // the session is gone: the keepalive with it
      if (std::chrono::steady_clock::now() - l->last_rx() > idle) {
        if (auto ev = events.lock())
          ev->idle();
        return;
      }
      l->write_control(ym::frame_type::ping, ym::flag::syn, 0, ++ping_id);
      arm();
    }
  };
  auto k = std::make_shared<keepalive>();
  k->link = link;
  k->events = events_;
  k->conn = conn_;
  k->idle = ctx_->limits.idle_timeout;
  k->every = std::min(ctx_->limits.keepalive_interval, ctx_->limits.idle_timeout / 2);
  if (k->every.count() <= 0)
    k->every = std::chrono::milliseconds{1000};
  k->arm();
}

void server_handshake::close(const std::string& why) {
  if (closed_)
    return;
  closed_ = true;
  done_ = true;
  // Once, at info; at most 20 such lines a second (a flood of refused
  // handshakes is counted in /metrics, not written line by line).
  static log::rate_limit limit{20};
  uint64_t suppressed = 0;
  if (limit.allow(suppressed))
    SKYWIRE_LOG(info, "dmsg_server", "connection refused", log::kv("cause", why),
                log::kv("remote", conn_->remote_endpoint()),
                log::kv("similar_lines_suppressed", suppressed));
  if (deadline_ != 0) {
    conn_->timers().cancel(deadline_);
    deadline_ = 0;
  }
  if (ticket_)
    ticket_->release();
  // Abortive close (RST): nothing is owed to a connection that failed its
  // handshake, and under a flood a graceful close leaves a TIME_WAIT socket
  // per refused connection on the server and costs a FIN exchange.
  conn_->close_with_reset();
  // The link and this object go when the last callback lets go of them.
  auto keep = std::move(self_);
}

} // namespace skywire::services::session_detail
