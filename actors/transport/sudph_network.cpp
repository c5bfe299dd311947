#include "actors/transport/sudph_network.hpp"

#include <algorithm>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "actors/transport/client_errors.hpp"
#include "actors/transport/errors.hpp"
#include "actors/transport/tcp_network.hpp"
#include "runtime/io/shard_timers.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/log/rate_limit.hpp"

namespace skywire::transport {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

constexpr const char* component = "transport";
const std::string sudph_type = "sudph";

/// Resolves "host:port" (an IP literal at once, a name through the shard's
/// resolver) and calls cb on the shard with the endpoint or why not.
void resolve_udp(asio::io_context& ctx, const std::string& text,
                 std::function<void(expected<udp::endpoint>)> cb) {
  if (auto ep = parse_udp_endpoint(text))
    return cb(*ep);
  auto hp = split_host_port(text);
  if (!hp || hp->first.empty() || hp->second == 0)
    return cb(make_error(transport_errc::invalid_argument, "not a host:port: \"" + text + "\""));
  auto resolver = std::make_shared<udp::resolver>(ctx);
  resolver->async_resolve(
    udp::v4(), hp->first, std::to_string(hp->second), asio::ip::resolver_base::numeric_service,
    [resolver, text, cb = std::move(cb)](const boost::system::error_code& ec,
                                         udp::resolver::results_type results) {
      if (ec || results.empty())
        return cb(make_error(transport_errc::unreachable,
                             text + ": " + (ec ? ec.message() : std::string{"no address"})));
      cb(results.begin()->endpoint());
    });
}

/// The local address datagrams to `to` leave from (a connected UDP socket
/// sends nothing); nullopt when there is no route.
std::optional<asio::ip::address> route_source(asio::io_context& ctx, const udp::endpoint& to) {
  udp::socket s{ctx};
  boost::system::error_code ec;
  s.open(to.protocol(), ec);
  if (!ec)
    s.connect(to, ec);
  if (ec)
    return std::nullopt;
  auto local = s.local_endpoint(ec);
  if (ec)
    return std::nullopt;
  return local.address();
}

} // namespace

expected<std::string> sudph_ar_address(std::string_view url) {
  std::string_view rest;
  for (std::string_view scheme : {"http://", "https://"})
    if (url.substr(0, scheme.size()) == scheme)
      rest = url.substr(scheme.size());
  if (rest.empty())
    return make_error(transport_errc::invalid_argument,
                      "the address resolver's sudph side needs an http(s) URL, not \""
                        + std::string{url.substr(0, 128)} + "\"");
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  // a port is there when the last ':' is not inside an IPv6 literal
  auto colon = authority.rfind(':');
  auto bracket = authority.rfind(']');
  bool has_port =
    colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  std::string text{authority};
  if (!has_port)
    text += ":" + std::to_string(wire::transport::default_ar_udp_port);
  auto hp = split_host_port(text);
  if (!hp || hp->first.empty() || hp->second == 0)
    return make_error(transport_errc::invalid_argument,
                      "no host:port in the address resolver URL \""
                        + std::string{url.substr(0, 128)} + "\"");
  return text;
}

sudph_network::sudph_network(io::io_runtime& io, crypto::keypair local, sudph_network_config cfg)
  : ctx_(io.next_context()), local_(std::move(local)), cfg_(std::move(cfg)),
    adm_(io::admission::make(cfg_.admission)) {}

std::shared_ptr<sudph_network> sudph_network::make(io::io_runtime& io, crypto::keypair local,
                                                   sudph_network_config cfg) {
  return std::shared_ptr<sudph_network>(new sudph_network(io, std::move(local), std::move(cfg)));
}

sudph_network::~sudph_network() = default;

const std::string& sudph_network::type() const noexcept {
  return sudph_type;
}

caf::error sudph_network::listen(accept_fn on_accept) {
  std::unique_lock<std::mutex> g{mtx_};
  if (stopped_ || listened_)
    return {};
  listened_ = true;
  auto opened = open_with_increments(cfg_.listen_port, cfg_.port_attempts, [&](uint16_t p) {
    return sudph_socket::open(ctx_, cfg_.listen_host, p, cfg_.socket);
  });
  if (!opened) {
    listen_error_ = describe(opened.error());
    unavailable_ = "its UDP socket could not be opened: " + listen_error_;
    ready_ = true;
    auto err = listen_error_;
    g.unlock();
    SKYWIRE_LOG(error, component, "sudph: cannot open its UDP socket; sudph is off",
                log::kv("error", err));
    return make_error(transport_errc::unreachable, err);
  }
  sock_ = std::move(*opened);
  port_ = sock_->local_port();
  on_accept_ = std::move(on_accept);
  g.unlock();
  SKYWIRE_LOG(info, component, "transport listener up", log::kv("type", sudph_type),
              log::kv("addr", (cfg_.listen_host.empty() ? std::string{"0.0.0.0"} : cfg_.listen_host)
                                + ":" + std::to_string(port_)));
  asio::post(ctx_, [self = shared_from_this()] { self->start_on_shard(); });
  return {};
}

// ---- on the shard ------------------------------------------------------------------------

void sudph_network::start_on_shard() {
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (stopped_ || !sock_)
      return;
  }
  sock_->start([w = weak_from_this()](const kcp_link_ptr& link) {
    if (auto self = w.lock())
      self->on_incoming(link);
    else
      link->abandon();
  });
  refresh_stats();
  if (cfg_.stun_servers.empty()) {
    {
      std::lock_guard<std::mutex> g{mtx_};
      nat_note_ = "not checked (no stun_servers configured)";
    }
    nat_checked(nat_type::unknown, std::nullopt, {});
    return;
  }
  check_nat(0);
}

void sudph_network::check_nat(size_t index) {
  if (!sock_)
    return;
  if (index >= cfg_.stun_servers.size()) {
    // no server answered: UDP may be blocked, or the servers are down
    nat_checked(nat_type::udp_blocked, std::nullopt, "none answered");
    return;
  }
  const auto& text = cfg_.stun_servers[index];
  resolve_udp(ctx_, text, [w = weak_from_this(), index, text](expected<udp::endpoint> ep) {
    auto self = w.lock();
    if (!self || !self->sock_)
      return;
    if (!ep) {
      SKYWIRE_LOG(warn, component, "sudph: STUN server unusable", log::kv("server", text),
                  log::kv("error", describe(ep.error())));
      return self->check_nat(index + 1);
    }
    auto scfg = self->cfg_.stun;
    auto local = self->sock_->local_endpoint();
    if (local.address().is_unspecified())
      if (auto src = route_source(self->ctx_, *ep))
        scfg.local = udp::endpoint{*src, local.port()};
    self->stun_ = sudph_stun::make(
      self->sock_, *ep, scfg,
      [w = std::weak_ptr<sudph_network>(self), index, text](nat_type t,
                                                            std::optional<udp::endpoint> mapped) {
        auto s = w.lock();
        if (!s)
          return;
        s->stun_.reset();
        if (t == nat_type::udp_blocked && index + 1 < s->cfg_.stun_servers.size()) {
          SKYWIRE_LOG(debug, component, "sudph: STUN server silent; trying the next",
                      log::kv("server", text));
          return s->check_nat(index + 1);
        }
        s->nat_checked(t, mapped, text);
      });
    self->stun_->start();
  });
}

void sudph_network::nat_checked(nat_type t, std::optional<udp::endpoint> mapped,
                                const std::string& server) {
  std::vector<waiting_dial> waiting;
  bool allowed = sudph_allowed(t);
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (stopped_)
      return;
    nat_ = t;
    ready_ = true;
    if (!server.empty())
      nat_note_ = "STUN server " + server;
    if (mapped)
      public_ip_ = mapped->address().to_string();
    if (mapped)
      public_addr_ = mapped->address().is_v6()
                       ? "[" + mapped->address().to_string() + "]:" + std::to_string(mapped->port())
                       : mapped->address().to_string() + ":" + std::to_string(mapped->port());
    if (!allowed) {
      unavailable_ = std::string{"hole punching is impossible behind this NAT ("} + to_string(t)
                     + ", " + nat_note_ + ")";
      port_ = 0;
    }
    waiting.swap(waiting_);
  }
  if (!allowed) {
    SKYWIRE_LOG(
      info, component, "sudph is not offered: hole punching is impossible behind this NAT",
      log::kv("nat", to_string(t)), log::kv("stun", server), log::kv("public", public_addr_));
    for (auto& d : waiting)
      d.cb(make_error(transport_errc::type_unavailable, "sudph: " + unavailable()));
    close_socket();
    return;
  }
  if (!server.empty()) {
    if (t == nat_type::udp_blocked)
      SKYWIRE_LOG(warn, component,
                  "sudph: no STUN server answered (UDP blocked, or the servers are down); the NAT "
                  "type is unknown, sudph stays on",
                  log::kv("servers", cfg_.stun_servers.size()));
    else
      SKYWIRE_LOG(info, component, "sudph: NAT type", log::kv("nat", to_string(t)),
                  log::kv("public", public_addr_), log::kv("stun", server));
  }
  go_live();
  for (auto& d : waiting)
    dial(d.remote, d.attempt, std::move(d.cb));
}

void sudph_network::go_live() {
  if (cfg_.ar_address.empty() || !sock_)
    return;
  resolve_udp(ctx_, cfg_.ar_address, [w = weak_from_this()](expected<udp::endpoint> ep) {
    auto self = w.lock();
    if (!self || !self->sock_)
      return;
    {
      std::lock_guard<std::mutex> g{self->mtx_};
      if (self->stopped_)
        return;
      if (!ep) {
        self->ar_state_ = "unusable: " + describe(ep.error());
      } else {
        self->ar_state_ = "connecting";
        self->ar_endpoint_text_ = ep->address().to_string() + ":" + std::to_string(ep->port());
      }
    }
    if (!ep) {
      SKYWIRE_LOG(error, component,
                  "sudph: the address resolver's UDP endpoint is unusable; nobody can dial this "
                  "visor over sudph",
                  log::kv("address", self->cfg_.ar_address),
                  log::kv("error", describe(ep.error())));
      return;
    }
    auto ccfg = self->cfg_.ar_channel;
    if (self->cfg_.local_addresses)
      ccfg.addresses = self->cfg_.local_addresses();
    ar_channel_events ev;
    auto wn = std::weak_ptr<sudph_network>(self);
    ev.on_bound = [wn] {
      auto s = wn.lock();
      if (!s)
        return;
      {
        std::lock_guard<std::mutex> g{s->mtx_};
        s->ar_state_ = "bound";
      }
      SKYWIRE_LOG(info, component, "sudph: bound at the address resolver",
                  log::kv("ar", s->ar_endpoint_text_), log::kv("port", s->sock_->local_port()));
    };
    ev.on_heartbeat = [wn] {
      if (auto s = wn.lock()) {
        std::lock_guard<std::mutex> g{s->mtx_};
        ++s->ar_heartbeats_;
      }
    };
    ev.on_push = [wn](const wire::transport::ar_push& p, bool punched) {
      auto s = wn.lock();
      if (!s)
        return;
      {
        std::lock_guard<std::mutex> g{s->mtx_};
        ++s->ar_pushes_;
      }
      SKYWIRE_LOG(debug, component, "sudph: the address resolver asked for a hole punch",
                  log::kv("remote", p.pk), log::kv("addr", p.addr), log::kv("punched", punched));
    };
    ev.on_down = [wn](const caf::error& err) {
      auto s = wn.lock();
      if (!s)
        return;
      bool stopped = false;
      {
        std::lock_guard<std::mutex> g{s->mtx_};
        stopped = s->stopped_;
        s->ar_state_ = stopped ? "off" : "reconnecting";
      }
      if (stopped) {
        s->close_socket(); // delBind went out (or the channel was not bound)
        return;
      }
      static log::rate_limit limit{1};
      uint64_t suppressed = 0;
      if (limit.allow(suppressed))
        SKYWIRE_LOG(
          warn, component, "sudph: the channel to the address resolver ended; reconnecting",
          log::kv("error", describe(err)), log::kv("similar_lines_suppressed", suppressed));
    };
    self->channel_ =
      sudph_ar_channel::make(self->sock_, *ep, self->local_, std::move(ccfg), std::move(ev));
    {
      std::lock_guard<std::mutex> g{self->mtx_};
      ++self->ar_connects_;
    }
    self->channel_->start();
  });
}

void sudph_network::on_incoming(const kcp_link_ptr& link) {
  accept_fn fn;
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (!stopped_)
      fn = on_accept_;
  }
  if (!fn) {
    link->abandon();
    return;
  }
  auto evict = [wl = std::weak_ptr<kcp_link>(link), ctx = &ctx_] {
    asio::post(*ctx, [wl] {
      if (auto l = wl.lock())
        l->abandon(); // the handshake ends as a cut
    });
  };
  auto ticket = admit_connection(*adm_, sudph_type, link->remote().address(),
                                 link->remote_endpoint(), std::move(evict));
  if (!ticket) {
    link->abandon();
    return;
  }
  fn(link, std::move(ticket));
}

void sudph_network::dial_on_shard(const public_key& remote, unsigned attempt,
                                  expected<wire::transport::visor_data> vd, dial_fn cb) {
  if (!vd)
    return cb(make_error(transport_errc::unreachable,
                         is(vd.error(), client_errc::not_found)
                           ? remote.hex() + " is not bound for sudph at the address resolver"
                           : "address resolver: " + describe(vd.error())));
  auto candidates = sudph_dial_candidates(*vd);
  if (candidates.empty())
    return cb(make_error(transport_errc::unreachable,
                         "the address resolver knows no usable sudph address of " + remote.hex()));
  bool stopped = false;
  {
    std::lock_guard<std::mutex> g{mtx_};
    stopped = stopped_ || !unavailable_.empty();
  }
  if (stopped || !sock_)
    return cb(make_error(transport_errc::closed, "sudph is stopped"));
  const auto& to = candidates[attempt % candidates.size()];
  auto link = sock_->dial(to);
  if (!link)
    return cb(make_error(transport_errc::closed, "the sudph socket is closed"));
  SKYWIRE_LOG(debug, component, "sudph dial", log::kv("remote", remote),
              log::kv("to", to.address().to_string() + ":" + std::to_string(to.port())),
              log::kv("candidate", attempt % candidates.size() + 1),
              log::kv("candidates", candidates.size()));
  cb(io::byte_link_ptr{std::move(link)});
}

void sudph_network::stop_on_shard() {
  if (stun_) {
    stun_->cancel();
    stun_.reset();
  }
  if (stats_timer_ != 0) {
    io::shard_timers::of(ctx_).cancel(stats_timer_);
    stats_timer_ = 0;
  }
  if (!channel_ || !channel_->bound()) {
    if (channel_)
      channel_->stop();
    close_socket();
    return;
  }
  // delBind goes out; the channel's end (the resolver acknowledged it) or
  // the linger closes the socket
  channel_->stop();
  linger_timer_ = io::shard_timers::of(ctx_).schedule(cfg_.stop_linger, [w = weak_from_this()] {
    if (auto self = w.lock()) {
      self->linger_timer_ = 0;
      self->close_socket();
    }
  });
}

void sudph_network::close_socket() {
  if (linger_timer_ != 0) {
    io::shard_timers::of(ctx_).cancel(linger_timer_);
    linger_timer_ = 0;
  }
  if (stats_timer_ != 0) {
    io::shard_timers::of(ctx_).cancel(stats_timer_);
    stats_timer_ = 0;
  }
  if (stun_) {
    stun_->cancel();
    stun_.reset();
  }
  if (channel_) {
    auto c = std::exchange(channel_, {});
    c->stop();
  }
  if (auto s = std::exchange(sock_, {})) {
    {
      std::lock_guard<std::mutex> g{mtx_};
      sock_stats_ = s->stats();
      sock_pending_ = 0;
      sock_incoming_ = 0;
      port_ = 0;
    }
    s->close();
    SKYWIRE_LOG(debug, component, "sudph: socket closed");
  }
  {
    std::lock_guard<std::mutex> g{mtx_};
    socket_closed_ = true;
  }
  closed_cv_.notify_all();
}

void sudph_network::refresh_stats() {
  stats_timer_ = 0;
  if (!sock_)
    return;
  {
    std::lock_guard<std::mutex> g{mtx_};
    sock_stats_ = sock_->stats();
    sock_pending_ = sock_->pending();
    sock_incoming_ = sock_->incoming();
  }
  stats_timer_ =
    io::shard_timers::of(ctx_).schedule(std::chrono::seconds{1}, [w = weak_from_this()] {
      if (auto self = w.lock())
        self->refresh_stats();
    });
}

// ---- any thread ---------------------------------------------------------------------------

void sudph_network::dial(const public_key& remote, unsigned attempt, dial_fn cb) {
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (stopped_)
      return cb(make_error(transport_errc::closed, "sudph is stopped"));
    if (!unavailable_.empty())
      return cb(make_error(transport_errc::type_unavailable, "sudph: " + unavailable_));
    if (!ready_) { // the NAT type is being checked
      if (waiting_.size() >= cfg_.max_waiting_dials)
        return cb(make_error(transport_errc::unreachable,
                             "sudph: too many dials waiting for the NAT check"));
      waiting_.push_back(waiting_dial{remote, attempt, std::move(cb)});
      return;
    }
  }
  if (!cfg_.resolve)
    return cb(make_error(transport_errc::unreachable, "sudph: no address resolver configured"));
  cfg_.resolve(remote, [w = weak_from_this(), remote, attempt,
                        cb = std::move(cb)](expected<wire::transport::visor_data> vd) mutable {
    auto self = w.lock();
    if (!self)
      return cb(make_error(transport_errc::closed, "the transport type was stopped"));
    asio::post(self->ctx_,
               [self, remote, attempt, vd = std::move(vd), cb = std::move(cb)]() mutable {
                 self->dial_on_shard(remote, attempt, std::move(vd), std::move(cb));
               });
  });
}

void sudph_network::authenticated(const io::byte_link_ptr& conn) {
  auto link = std::dynamic_pointer_cast<kcp_link>(conn);
  if (!link)
    return;
  asio::post(ctx_, [w = weak_from_this(), link] {
    if (auto self = w.lock(); self && self->sock_)
      self->sock_->confirm(*link);
  });
}

void sudph_network::stop() {
  std::vector<waiting_dial> waiting;
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (stopped_)
      return;
    stopped_ = true;
    waiting.swap(waiting_);
  }
  for (auto& d : waiting)
    d.cb(make_error(transport_errc::closed, "sudph is stopped"));
  asio::post(ctx_, [self = shared_from_this()] { self->stop_on_shard(); });
  if (ctx_.get_executor().running_in_this_thread())
    return; // on the shard: the close follows there
  std::unique_lock<std::mutex> g{mtx_};
  closed_cv_.wait_for(g, cfg_.stop_linger + std::chrono::milliseconds{500},
                      [this] { return socket_closed_; });
}

std::string sudph_network::unavailable() const {
  std::lock_guard<std::mutex> g{mtx_};
  return unavailable_;
}

uint16_t sudph_network::port() const {
  std::lock_guard<std::mutex> g{mtx_};
  return port_;
}

nat_type sudph_network::nat() const {
  std::lock_guard<std::mutex> g{mtx_};
  return nat_;
}

std::optional<std::string> sudph_network::public_ip() const {
  std::lock_guard<std::mutex> g{mtx_};
  return public_ip_;
}

bool sudph_network::ar_bound() const {
  std::lock_guard<std::mutex> g{mtx_};
  return ar_state_ == "bound";
}

bool sudph_network::ready() const {
  std::lock_guard<std::mutex> g{mtx_};
  return ready_;
}

boost::json::object sudph_network::info() const {
  boost::json::object o;
  o["type"] = sudph_type;
  std::lock_guard<std::mutex> g{mtx_};
  if (port_ != 0)
    o["listening"] = (cfg_.listen_host.empty() ? std::string{"0.0.0.0"} : cfg_.listen_host) + ":"
                     + std::to_string(port_);
  else
    o["listening"] = nullptr;
  if (!listen_error_.empty())
    o["listen_error"] = listen_error_;
  o["offered"] = unavailable_.empty() && !stopped_;
  if (!unavailable_.empty())
    o["unavailable"] = unavailable_;
  boost::json::object nat;
  nat["type"] = ready_ ? to_string(nat_) : "being checked";
  nat["sudph_allowed"] = sudph_allowed(nat_);
  if (!nat_note_.empty())
    nat["checked"] = nat_note_;
  if (!public_addr_.empty())
    nat["public"] = public_addr_;
  o["nat"] = std::move(nat);
  boost::json::object ar;
  ar["state"] = ar_state_;
  ar["endpoint"] = ar_endpoint_text_.empty() ? cfg_.ar_address : ar_endpoint_text_;
  ar["connects"] = ar_connects_;
  ar["heartbeats"] = ar_heartbeats_;
  ar["pushes"] = ar_pushes_;
  o["address_resolver"] = std::move(ar);
  boost::json::object sock;
  sock["incoming"] = sock_incoming_;
  sock["pending"] = sock_pending_;
  sock["accepted"] = sock_stats_.accepted;
  sock["dials"] = sock_stats_.dials;
  sock["holepunch_in"] = sock_stats_.holepunch_in;
  sock["holepunch_out"] = sock_stats_.holepunch_out;
  sock["dropped_not_kcp"] = sock_stats_.dropped_not_kcp;
  sock["dropped_malformed"] = sock_stats_.dropped_malformed;
  sock["dropped_truncated"] = sock_stats_.dropped_truncated;
  sock["refused_pending"] = sock_stats_.refused_pending;
  sock["refused_incoming"] = sock_stats_.refused_incoming;
  sock["expired_pending"] = sock_stats_.expired_pending;
  o["socket"] = std::move(sock);
  add_admission_info(o, *adm_);
  return o;
}

} // namespace skywire::transport
