#include "actors/apps/skysocks_client.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include <boost/asio/post.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/apps/app_flags.hpp"
#include "actors/apps/skysocks.hpp"
#include "actors/apps/yamux_route.hpp"
#include "actors/routing/route_group_core.hpp"
#include "messages/api/route_manager.hpp"
#include "runtime/io/tcp_listener.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::apps {

namespace {

constexpr const char* component = "skysocks-client";
constexpr auto dial_timeout = std::chrono::seconds{30};
constexpr auto watchdog_period = std::chrono::seconds{15};
constexpr auto max_backoff = std::chrono::seconds{30};

using redial_atom = caf::atom_constant<caf::atom("ssc_redial")>;
using watchdog_atom = caf::atom_constant<caf::atom("ssc_watch")>;
using dead_atom = caf::atom_constant<caf::atom("ssc_dead")>;

struct listen_addr {
  std::string host;
  uint16_t port = 0;
};

struct client_args {
  public_key srv;
  listen_addr socks{"127.0.0.1", 1080};
  std::optional<listen_addr> http; ///< --http: the HTTP proxy's address
  uint16_t min_hops = 0;
};

expected<uint16_t> parse_u16(const std::string& s, const char* what) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v > 65535)
    return make_error(wire_errc::bad_value, std::string{what} + " '" + s + "' is not a port number");
  return static_cast<uint16_t>(v);
}

/// host:port, [v6]:port, :port (every interface).
expected<listen_addr> parse_listen_addr(const std::string& a, const char* flag) {
  auto colon = a.rfind(':');
  if (colon == std::string::npos)
    return make_error(wire_errc::bad_value,
                      std::string{"skysocks-client: "} + flag + " '" + a + "' is not host:port");
  listen_addr out;
  auto host = a.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  out.host = host.empty() ? "0.0.0.0" : host;
  auto port = parse_u16(a.substr(colon + 1), (std::string{flag} + " port").c_str());
  if (!port)
    return port.error();
  out.port = *port;
  return out;
}

expected<client_args> parse_args(const std::vector<std::string>& args) {
  client_args out;
  auto srv = flag_value(args, "srv");
  if (!srv)
    return srv.error();
  if (!*srv)
    return make_error(wire_errc::bad_value, "skysocks-client: --srv <public key> is required");
  auto pk = public_key::from_hex(**srv);
  if (!pk || pk->is_null())
    return make_error(wire_errc::bad_value, "skysocks-client: --srv '" + **srv + "' is not a public key");
  out.srv = *pk;
  auto addr = flag_value(args, "addr");
  if (!addr)
    return addr.error();
  if (*addr) {
    auto a = parse_listen_addr(**addr, "--addr");
    if (!a)
      return a.error();
    out.socks = std::move(*a);
  }
  auto http = flag_value(args, "http");
  if (!http)
    return http.error();
  if (*http && !(*http)->empty()) { // the reference's default is "": no HTTP proxy
    auto a = parse_listen_addr(**http, "--http");
    if (!a)
      return a.error();
    out.http = std::move(*a);
  }
  auto hops = flag_value(args, "min-hops");
  if (!hops)
    return hops.error();
  if (*hops) {
    auto h = parse_u16(**hops, "--min-hops");
    if (!h)
      return h.error();
    out.min_hops = *h;
  }
  return out;
}

class skysocks_client_actor : public caf::event_based_actor {
public:
  skysocks_client_actor(caf::actor_config& cfg, app_context ctx, client_args args)
    : caf::event_based_actor(cfg), ctx_(std::move(ctx)), args_(std::move(args)) {}

  const char* name() const override { return "skysocks-client"; }

  void on_exit() override { teardown(caf::error{}); }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& dm) {
      if (group_ && dm.source == group_.address())
        lost(dm.reason);
    });
    dial();
    delayed_send(this, watchdog_period, watchdog_atom::value);
    return {
      [this](api::data_atom, api::byte_buffer& bytes) {
        if (group_ && current_sender() == caf::actor_cast<caf::strong_actor_ptr>(group_))
          prefix_.insert(prefix_.end(), bytes.begin(), bytes.end());
      },
      [this](api::closed_atom, const caf::error& err) {
        if (group_ && current_sender() == caf::actor_cast<caf::strong_actor_ptr>(group_))
          lost(err);
      },
      [this](yamux_ready_atom, uint64_t tag, yamux_route_ptr& m) {
        if (tag != tag_) {
          m->core()->post([m] { m->stop(); });
          return;
        }
        mux_ = m;
        m->core()->post([m, prefix = std::move(prefix_)] { m->prefix(prefix); });
        prefix_.clear();
        listen(m);
      },
      [this](yamux_end_atom, uint64_t tag, const caf::error& err) {
        if (tag == tag_)
          lost(err);
      },
      [this](redial_atom, uint64_t tag) {
        if (tag == tag_)
          dial();
      },
      [this](watchdog_atom) {
        delayed_send(this, watchdog_period, watchdog_atom::value);
        if (!mux_)
          return;
        // the reference's watchdog: is the session still alive?
        auto me = caf::actor{this};
        mux_->core()->post([m = mux_, me, tag = tag_] {
          if (m->ended())
            caf::anon_send(me, dead_atom::value, tag);
        });
      },
      [this](dead_atom, uint64_t tag) {
        if (tag == tag_)
          lost(make_error(wire_errc::bad_value, "the yamux session died (watchdog)"));
      },
    };
  }

private:
  void status(const std::string& s) {
    if (ctx_.launcher)
      send(ctx_.launcher, api::app_status_atom::value, s);
  }

  void dial() {
    auto tag = ++tag_;
    status("Connecting");
    api::route_dial d;
    d.remote = args_.srv;
    d.remote_port = skysocks_port;
    // local_port 0: an ephemeral port (49152 up), as the reference's app
    // dials. Not the app's own port 13: a re-dial after a lost route then
    // has another descriptor than the old route, which the remote visor may
    // still hold (a Go visor replaces that group, and the new handshake
    // collides with its close for up to 30 s).
    d.local_port = 0;
    d.min_hops = args_.min_hops;
    request(ctx_.routes, dial_timeout + std::chrono::seconds{5}, api::rt_dial_atom::value, d)
      .then(
        [this, tag](api::route_group_actor& g) {
          if (tag != tag_) {
            send(g, api::close_atom::value);
            return;
          }
          group_ = g;
          monitor(g);
          request(g, std::chrono::seconds{10}, api::score_atom::value)
            .then(
              [this, tag](api::route_group_core_ptr& core) {
                if (tag != tag_)
                  return;
                yamux_route::config cfg;
                cfg.m = yamux_route::mode::client;
                attach_yamux_route(core, std::move(cfg), caf::actor{this}, tag);
              },
              [this, tag](caf::error& err) {
                if (tag == tag_)
                  lost(err);
              });
        },
        [this, tag](caf::error& err) {
          if (tag == tag_)
            lost(err);
        });
  }

  /// A listener on the route's shard whose connections the route adopts
  /// there (`http`: through the HTTP proxy's head first).
  expected<io::tcp_listener_ptr> listen_on(const yamux_route_ptr& m, const listen_addr& at,
                                           bool http) {
    auto* shard = &m->shard();
    std::weak_ptr<yamux_route> w = m;
    return io::tcp_listener::start(
      *ctx_.io, at.host, at.port,
      [w, shard, http](io::stream_connection_ptr conn) {
        // accepted onto the route's shard; the route takes it there
        boost::asio::post(*shard, [w, conn, http] {
          auto mm = w.lock();
          if (!mm)
            conn->close_with_reset();
          else if (http)
            mm->adopt_http(conn);
          else
            mm->adopt(conn);
        });
      },
      shard);
  }

  void listen(const yamux_route_ptr& m) {
    auto l = listen_on(m, args_.socks, false);
    if (l && args_.http) {
      auto h = listen_on(m, *args_.http, true);
      if (!h) {
        (*l)->stop();
        l = h.error();
      } else {
        http_listener_ = *h;
      }
    }
    if (!l) {
      SKYWIRE_LOG(warn, component, "cannot listen", log::kv("error", describe(l.error())));
      if (ctx_.launcher)
        send(ctx_.launcher, api::app_error_atom::value, describe(l.error()));
      return quit(l.error());
    }
    listener_ = *l;
    failures_ = 0;
    SKYWIRE_LOG(info, component, "connected", log::kv("server", args_.srv.hex()),
                log::kv("listen", args_.socks.host + ":" + std::to_string(listener_->port())));
    if (http_listener_)
      SKYWIRE_LOG(info, component, "HTTP proxy listening",
                  log::kv("http", args_.http->host + ":" + std::to_string(http_listener_->port())));
    status("Running");
  }

  void lost(const caf::error& err) {
    SKYWIRE_LOG(info, component, "connection to the server lost",
                log::kv("server", args_.srv.hex()), log::kv("error", describe(err)));
    if (ctx_.launcher)
      send(ctx_.launcher, api::app_error_atom::value, describe(err));
    teardown(err);
    status("Connection failed, reconnecting");
    ++failures_;
    auto pause = std::min<std::chrono::seconds>(std::chrono::seconds{1} * (1 << std::min(failures_ - 1, 5u)),
                                                max_backoff);
    delayed_send(this, pause, redial_atom::value, ++tag_);
  }

  void teardown(const caf::error& err) {
    for (auto* l : {&listener_, &http_listener_})
      if (*l) {
        (*l)->stop();
        l->reset();
      }
    if (mux_) {
      mux_->core()->post([m = mux_, err] {
        if (err)
          m->carrier_closed(err);
        m->stop();
      });
      mux_.reset();
    }
    if (group_) {
      demonitor(group_.address());
      caf::anon_send(group_, api::close_atom::value); // also from on_exit
      group_ = nullptr;
    }
    prefix_.clear();
  }

  app_context ctx_;
  client_args args_;
  uint64_t tag_ = 0;
  unsigned failures_ = 0;
  api::route_group_actor group_;
  yamux_route_ptr mux_;
  std::vector<uint8_t> prefix_;
  io::tcp_listener_ptr listener_;
  io::tcp_listener_ptr http_listener_; ///< --http
};

} // namespace

expected<caf::actor> spawn_skysocks_client(const app_context& ctx) {
  if (!ctx.sys || !ctx.io)
    return make_error(wire_errc::bad_value, "skysocks-client: no actor system or io runtime");
  auto args = parse_args(ctx.args);
  if (!args)
    return args.error();
  return ctx.sys->spawn<skysocks_client_actor>(ctx, std::move(*args));
}

} // namespace skywire::apps
