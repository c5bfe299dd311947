#include "actors/services/dmsg_server.hpp"

#include "runtime/system/alloc_stats.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/dmsg/discovery_client.hpp"
#include "actors/services/dmsg_server_session.hpp"
#include "messages/wire/dmsg/discovery_entry.hpp"
#include "messages/wire/json/go_json.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/server.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/log/rate_limit.hpp"
#include "runtime/system/build_info.hpp"
#include "runtime/system/io_thread_spawn.hpp"
#include "runtime/system/memory.hpp"
#include "runtime/system/stop_and_wait.hpp"

namespace skywire::services {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

using check_atom = caf::atom_constant<caf::atom("dscheck")>;
using posted_atom = caf::atom_constant<caf::atom("dsposted")>;

/// The server actor's full interface: the public one and its private
/// messages (the entry refresh timer, the discovery's answers from io threads).
using server_interface = api::dmsg_server_actor::extend<
  caf::reacts_to<check_atom>, caf::reacts_to<posted_atom, uint64_t, int64_t>,
  caf::reacts_to<posted_atom, std::string>>;

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Accepts connections; each gets a slot and a session actor, or is closed.
class listener : public std::enable_shared_from_this<listener> {
public:
  listener(caf::actor_system& sys, io::io_runtime& io,
           std::shared_ptr<const dmsg_session_context> ctx)
    : sys_(sys), io_ctx_(io.context()), acc_(io.context()), timer_(io.context()),
      ctx_(std::move(ctx)) {
  }

  expected<uint16_t> bind(const host_port& hp) {
    boost::system::error_code ec;
    auto addr = hp.host.empty() ? asio::ip::address{asio::ip::address_v6::any()}
                                : asio::ip::make_address(hp.host == "localhost" ? "127.0.0.1"
                                                                                : hp.host,
                                                         ec);
    if (ec)
      return make_error(wire_errc::bad_value, "bad listen host \"" + hp.host + "\"");
    tcp::endpoint ep{addr, hp.port};
    acc_.open(ep.protocol(), ec);
    if (!ec && hp.host.empty())
      acc_.set_option(asio::ip::v6_only(false), ec);
    if (!ec)
      acc_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
      acc_.bind(ep, ec);
    if (!ec)
      acc_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec)
      acc_.non_blocking(true, ec); // accept4 until the queue is empty
    if (ec)
      return make_error(wire_errc::bad_value,
                        "cannot listen on " + hp.host + ":" + std::to_string(hp.port) + ": "
                          + ec.message());
    return acc_.local_endpoint().port();
  }

  void start() {
    asio::post(acc_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  void stop() {
    asio::post(acc_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->stopped_ = true;
      self->acc_.close(ignored);
      self->timer_.cancel();
    });
  }

private:
  void do_accept() {
    if (stopped_)
      return;
    acc_.async_wait(tcp::acceptor::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
      if (self->stopped_)
        return;
      if (!ec && self->accept_ready())
        return self->do_accept();
      // EMFILE and friends: pause instead of spinning.
      self->timer_.expires_after(std::chrono::milliseconds{50});
      self->timer_.async_wait([self](boost::system::error_code) { self->do_accept(); });
    });
  }

  /// Takes what the kernel's accept queue holds, up to a batch per wake-up:
  /// accept4 hands over the peer's address and a non-blocking socket in one
  /// call (a flood's connection costs accept4 and, when refused, close).
  /// False on an error that is not an empty queue.
  bool accept_ready() {
    for (int i = 0; i < 64; ++i) {
      sockaddr_storage sa{};
      socklen_t len = sizeof sa;
      int fd = ::accept4(acc_.native_handle(), reinterpret_cast<sockaddr*>(&sa), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
      tcp::endpoint peer;
      if (len > peer.capacity()) {
        refuse(fd);
        continue;
      }
      std::memcpy(peer.data(), &sa, len);
      peer.resize(len);
      on_accept(fd, peer);
    }
    return true;
  }

  /// Refused at accept: an RST (no TIME_WAIT kept here, nothing read).
  static void refuse(int fd) {
    linger lg{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::close(fd);
  }

  void on_accept(int fd, const tcp::endpoint& from) {
    auto& adm = *ctx_->admission;
    if (ctx_->registry->available() == 0) {
      // Every session slot taken: no handshake could end in a session.
      // Refused at once; established sessions are not disturbed.
      ctx_->registry->count_refused();
      adm.count(io::refusal::sessions_full);
      refuse(fd);
      return;
    }
    // The connection is made first so that an eviction can close it; it is
    // not started (nothing read) unless admitted.
    auto conn = io::stream_connection::adopt_tcp(io_ctx_, fd, from);
    if (!conn)
      return;
    std::weak_ptr<io::stream_connection> weak = conn;
    auto d = adm.admit(from.address(), [weak] {
      if (auto c = weak.lock())
        c->close_with_reset(); // the session sees it and reports "evicted"
    });
    if (!d.ticket) {
      static log::rate_limit limit{20};
      uint64_t suppressed = 0;
      if (limit.allow(suppressed))
        SKYWIRE_LOG(info, "dmsg_server", "connection refused",
                    log::kv("cause", std::string{"admission: "} + io::to_string(d.why)),
                    log::kv("remote", conn->remote_endpoint()),
                    log::kv("similar_lines_suppressed", suppressed));
      conn->close_with_reset();
      return;
    }
    start_dmsg_server_session(sys_, ctx_, std::move(conn), std::move(d.ticket));
  }

  caf::actor_system& sys_;
  asio::io_context& io_ctx_; ///< shard 0: accepted sockets start here
  tcp::acceptor acc_;
  asio::steady_timer timer_;
  std::shared_ptr<const dmsg_session_context> ctx_;
  bool stopped_ = false; // io strand of the acceptor (single-threaded use)
};

class server_actor : public server_interface::base {
public:
  server_actor(caf::actor_config& acfg, io::io_runtime& io, dmsg_server_config cfg,
               std::shared_ptr<dmsg_server_registry> registry, std::shared_ptr<listener> lst,
               std::shared_ptr<http::server> health)
    : server_interface::base(acfg),
      io_(io),
      cfg_(std::move(cfg)),
      registry_(std::move(registry)),
      listener_(std::move(lst)),
      health_(std::move(health)) {
  }

  const char* name() const override {
    return "dmsg_server";
  }

  void on_exit() override {
    shutdown();
  }

  behavior_type make_behavior() override {
    set_exit_handler([this](const caf::exit_msg& msg) {
      shutdown();
      quit(msg.reason);
    });
    if (discovery_enabled())
      send(this, check_atom::value);
    else
      delayed_send(this, cfg_.check_interval, check_atom::value);
    return {
      [this](check_atom) {
        // After a flood of connections (handshakes included): give the
        // freed memory back.
        releaser_.tick(registry_->connections() + registry_->slots());
        maybe_update();
        delayed_send(this, cfg_.check_interval, check_atom::value);
      },
      [this](posted_atom, uint64_t seq, int64_t avail) { on_posted(seq, avail); },
      [this](posted_atom, const std::string& why) { on_post_failed(why); },
      [this](api::dmsg_server_stats_atom) {
        return api::dmsg_server_stats{static_cast<uint64_t>(registry_->sessions()),
                                      static_cast<uint64_t>(registry_->connections()),
                                      posts_ok_};
      },
    };
  }

private:
  bool discovery_enabled() const {
    return cfg_.register_in_discovery && !cfg_.discovery.empty();
  }

  void shutdown() {
    if (down_)
      return;
    down_ = true;
    if (listener_)
      listener_->stop();
    if (health_)
      health_->stop();
    for (auto& s : registry_->tracked())
      anon_send_exit(s, caf::exit_reason::user_shutdown);
    // The io objects (acceptor, its retry timer, the health server) go now,
    // not with this object: CAF may keep a terminated actor alive well
    // after its down message (a pending delayed check_atom in the actor
    // clock holds a strong reference until the actor system shuts down),
    // and the handle's stop() lets its caller destroy the io contexts as
    // soon as the actor is down. What stop() posted keeps what it needs.
    listener_.reset();
    health_.reset();
  }

  // -- discovery entry ------------------------------------------------------------------

  void maybe_update() {
    if (!discovery_enabled() || in_flight_ || down_)
      return;
    if (!disc_) {
      auto c = dmsg::discovery_client::make(io_, cfg_.discovery);
      if (!c) {
        SKYWIRE_LOG(warn, "dmsg_server", "bad discovery URL", log::kv("url", cfg_.discovery));
        cfg_.register_in_discovery = false;
        return;
      }
      disc_.emplace(std::move(*c));
    }
    auto now = std::chrono::steady_clock::now();
    auto avail = static_cast<int64_t>(registry_->available());
    bool first = last_post_ == std::chrono::steady_clock::time_point{};
    bool due = first || now - last_post_ >= cfg_.effective_update_interval();
    bool changed = avail != posted_available_ && now - last_post_ >= cfg_.discovery_throttle;
    if (!due && !changed)
      return;
    wire::dmsg::entry e;
    e.version = std::string{wire::dmsg::entry_version};
    e.sequence = seq_;
    e.static_pk = cfg_.pk;
    wire::dmsg::server_part sp;
    sp.address = cfg_.public_address;
    sp.available_sessions = avail;
    e.server = sp;
    in_flight_ = true;
    last_post_ = now;
    auto self = caf::actor_cast<server_interface>(this);
    disc_->put_entry(std::move(e), cfg_.sk, [self](expected<wire::dmsg::entry> r) {
      if (r)
        caf::anon_send(self, posted_atom::value, r->sequence,
                       r->server ? r->server->available_sessions : int64_t{-1});
      else
        caf::anon_send(self, posted_atom::value, describe(r.error()));
    });
  }

  void on_posted(uint64_t stored_seq, int64_t avail) {
    in_flight_ = false;
    seq_ = stored_seq + 1;
    ++posts_ok_;
    posted_available_ = avail;
  }

  void on_post_failed(const std::string& why) {
    in_flight_ = false;
    SKYWIRE_LOG(debug, "dmsg_server", "discovery update failed", log::kv("error", why));
  }

  io::io_runtime& io_;
  dmsg_server_config cfg_;
  std::shared_ptr<dmsg_server_registry> registry_;
  std::shared_ptr<listener> listener_;
  std::shared_ptr<http::server> health_;
  bool down_ = false;
  bool in_flight_ = false;
  uint64_t seq_ = 0;
  uint64_t posts_ok_ = 0;
  int64_t posted_available_ = -1;
  std::optional<dmsg::discovery_client> disc_;
  system::memory_releaser releaser_{64};
  std::chrono::steady_clock::time_point last_post_{};
};

http::router health_routes(std::shared_ptr<dmsg_server_registry> reg, io::admission_ptr adm,
                           public_key pk, std::chrono::system_clock::time_point started) {
  http::router r;
  r.get("/health", [reg, pk, started](http::request, http::responder res) {
    std::string body;
    wire::json::writer w{body};
    w.begin_object();
    w.key("build_info").begin_object();
    w.key("version").string(system::version());
    w.key("commit").string("");
    w.key("date").string("");
    w.end_object();
    w.key("started_at").string(rfc3339(started));
    w.key("public_key").string(pk.hex());
    w.key("sessions").uinteger(reg->sessions());
    w.key("connections").uinteger(reg->connections());
    w.key("max_sessions").uinteger(reg->max_sessions());
    w.key("available_sessions").uinteger(reg->available());
    w.end_object();
    res.send(http::make_response(200, std::move(body)));
  });
  // Prometheus text format: what the relay did and what the process costs.
  r.get("/metrics", [reg, adm](http::request, http::responder res) {
    std::string out;
    auto metric = [&out](const char* name, const char* type, const char* help, uint64_t v) {
      out += "# HELP ";
      out += name;
      out += ' ';
      out += help;
      out += "\n# TYPE ";
      out += name;
      out += ' ';
      out += type;
      out += '\n';
      out += name;
      out += ' ';
      out += std::to_string(v);
      out += '\n';
    };
    const auto& rs = *reg->relay();
    metric("dmsg_server_sessions", "gauge", "Established client sessions.", reg->sessions());
    metric("dmsg_server_connections", "gauge", "Accepted connections (handshakes included).",
           reg->connections());
    metric("dmsg_relay_frames_total", "counter", "Data frames received on spliced streams.",
           rs.frames.load());
    metric("dmsg_relay_bytes_total", "counter", "Body bytes of those frames.", rs.bytes.load());
    metric("dmsg_relay_copied_bytes_total", "counter",
           "Payload bytes the relay copied in user space.", rs.copied_bytes.load());
    metric("dmsg_relay_writes_total", "counter",
           "Buffers handed to the receiving client's connection.", rs.writes.load());
    metric("dmsg_relay_resets_total", "counter", "Streams reset because a write was refused.",
           rs.resets.load());
    metric("dmsg_relay_queued_bytes", "gauge", "Relay bytes waiting for a client's window.",
           rs.queued.load());
    metric("dmsg_relay_queued_bytes_peak", "gauge", "The most relay bytes ever waiting at once.",
           rs.queued_peak.load());
    if (adm)
      out += adm->metrics_text("dmsg_server_");
    auto& al = system::alloc_stats();
    if (al.enabled.load()) {
      metric("process_allocations_total", "counter", "Calls of operator new in this process.",
             al.allocations.load());
      metric("process_allocated_bytes_total", "counter", "Bytes requested from operator new.",
             al.bytes.load());
    }
    http::response resp = http::make_response(200, std::move(out));
    res.send(std::move(resp));
  });
  return r;
}

} // namespace

void dmsg_server_handle::stop() {
  // Waits for the actor: its shutdown posts to the listener's io context,
  // which the caller may destroy next.
  if (actor && !system::stop_and_wait(actor))
    SKYWIRE_LOG(info, "dmsg_server", "server actor still running 5 s after stop");
  actor = nullptr;
}

expected<dmsg_server_handle> spawn_dmsg_server(caf::actor_system& sys, io::io_runtime& io,
                                               dmsg_server_config cfg) {
  auto derived = crypto::derive_public_key(cfg.sk);
  if (!derived)
    return make_error(wire_errc::bad_value, "dmsg server: invalid secret key");
  if (cfg.pk.is_null())
    cfg.pk = *derived;
  if (*derived != cfg.pk)
    return make_error(wire_errc::bad_value, "dmsg server: public key does not match secret key");
  if (cfg.max_sessions <= 0)
    return make_error(wire_errc::bad_value, "dmsg server: max_sessions must be positive");
  auto local = parse_host_port(cfg.local_address);
  if (!local)
    return local.error();

  auto registry = std::make_shared<dmsg_server_registry>(static_cast<size_t>(cfg.max_sessions));
  auto ctx = std::make_shared<dmsg_session_context>();
  ctx->server_keys = crypto::keypair{cfg.pk, cfg.sk};
  ctx->registry = registry;
  ctx->limits = cfg.limits;
  // The unloaded handshake deadline is limits.handshake_timeout.
  auto ac = cfg.admission;
  ac.deadline = cfg.limits.handshake_timeout;
  ctx->admission = io::admission::make(ac);
  // Accepts and handshakes run on shard 0 (the listener's), established
  // sessions on the other shards, round robin: the relaying of sessions that
  // are up never waits in one event loop behind a flood of unauthenticated
  // connections (docs/architecture.md, "Admission").
  ctx->session_shard = [rt = &io]() -> asio::io_context* {
    if (rt->shards() < 2)
      return nullptr;
    for (size_t i = 0; i < rt->shards(); ++i)
      if (auto& c = rt->next_context(); &c != &rt->context())
        return &c;
    return nullptr;
  };

  auto lst = std::make_shared<listener>(sys, io, ctx);
  auto port = lst->bind(*local);
  if (!port)
    return port.error();
  if (cfg.public_address.empty())
    cfg.public_address = "127.0.0.1:" + std::to_string(*port);

  std::shared_ptr<http::server> health;
  uint16_t health_port = 0;
  {
    host_port hp;
    if (cfg.health_endpoint_address.empty()) {
      hp = *local;
      hp.port = local->port == 0 ? 0 : static_cast<uint16_t>(local->port + 1);
    } else {
      auto p = parse_host_port(cfg.health_endpoint_address);
      if (!p)
        return p.error();
      hp = *p;
    }
    http::server_config hc;
    hc.host = hp.host;
    hc.port = hp.port;
    hc.max_connections = 64;
    health = std::make_shared<http::server>(
      io, hc, health_routes(registry, ctx->admission, cfg.pk, std::chrono::system_clock::now()));
    auto hport = health->start();
    if (!hport)
      return hport.error();
    health_port = *hport;
  }

  dmsg_server_handle h;
  h.port = *port;
  h.health_port = health_port;
  h.registry = registry;
  h.admission = ctx->admission;
  h.actor = sys.spawn<server_actor>(io, std::move(cfg), registry, lst, health);
  lst->start();
  return h;
}

} // namespace skywire::services
