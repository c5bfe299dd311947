#include "actors/transport/tcp_network.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include "actors/transport/errors.hpp"
#include "runtime/io/stream_connection.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/log/rate_limit.hpp"

namespace skywire::transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr const char* component = "transport";

expected<std::pair<std::string, uint16_t>> split_host_port(std::string_view text) {
  auto bad = [&] {
    return make_error(transport_errc::invalid_argument,
                      "not host:port: \"" + std::string{text.substr(0, 128)} + "\"");
  };
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size())
    return bad();
  auto host = text.substr(0, colon);
  auto port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos)
    return bad(); // an IPv6 literal must be in brackets
  uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9')
      return bad();
    port = port * 10 + static_cast<uint32_t>(c - '0');
    if (port > 65535)
      return bad();
  }
  return std::pair<std::string, uint16_t>{std::string{host}, static_cast<uint16_t>(port)};
}

// ---- tcp_connect -------------------------------------------------------------------------

namespace {

struct connect_op : std::enable_shared_from_this<connect_op> {
  connect_op(asio::io_context& ctx, std::vector<std::string> addrs, std::chrono::milliseconds limit,
             transport_network::dial_fn done)
    : resolver(ctx), socket(ctx), timer(ctx), addresses(std::move(addrs)), timeout(limit),
      cb(std::move(done)) {}

  tcp::resolver resolver;
  tcp::socket socket;
  asio::steady_timer timer;
  std::vector<std::string> addresses;
  size_t index = 0;
  std::chrono::milliseconds timeout;
  transport_network::dial_fn cb;
  std::string last_error;
  bool timed_out = false;

  void next() {
    if (index >= addresses.size()) {
      auto text = addresses.empty() ? std::string{"no address"} : last_error;
      return finish(make_error(transport_errc::unreachable, text));
    }
    const auto& addr = addresses[index++];
    auto hp = split_host_port(addr);
    if (!hp || hp->first.empty() || hp->second == 0) {
      last_error = addr + ": not a host:port to dial";
      return next();
    }
    timed_out = false;
    timer.expires_after(timeout);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec)
        return;
      self->timed_out = true;
      boost::system::error_code ignored;
      self->resolver.cancel();
      self->socket.close(ignored);
    });
    resolver.async_resolve(
      hp->first, std::to_string(hp->second), asio::ip::resolver_base::numeric_service,
      [self = shared_from_this(), addr](const boost::system::error_code& ec,
                                        tcp::resolver::results_type results) {
        if (ec) {
          self->timer.cancel();
          self->last_error = addr + ": " + (self->timed_out ? "timed out" : ec.message());
          return self->next();
        }
        asio::async_connect(
          self->socket, results,
          [self, addr](const boost::system::error_code& ec2, const tcp::endpoint&) {
            self->timer.cancel();
            if (ec2) {
              self->last_error = addr + ": " + (self->timed_out ? "timed out" : ec2.message());
              boost::system::error_code ignored;
              self->socket.close(ignored);
              return self->next();
            }
            boost::system::error_code ignored;
            self->socket.set_option(tcp::no_delay{true}, ignored);
            self->finish(io::stream_connection::make(std::move(self->socket)));
          });
      });
  }

  void finish(expected<io::byte_link_ptr> r) {
    auto fn = std::move(cb);
    cb = nullptr;
    if (fn)
      fn(std::move(r));
  }
};

} // namespace

void tcp_connect(io::io_runtime& io, std::vector<std::string> addresses,
                 std::chrono::milliseconds timeout, transport_network::dial_fn cb) {
  auto& ctx = io.next_context();
  auto op = std::make_shared<connect_op>(ctx, std::move(addresses), timeout, std::move(cb));
  asio::post(ctx, [op] { op->next(); });
}

// ---- tcp_network -------------------------------------------------------------------------

tcp_network::tcp_network(io::io_runtime& io, tcp_network_config cfg)
  : io_(io), cfg_(std::move(cfg)), adm_(io::admission::make(cfg_.admission)) {}

std::shared_ptr<tcp_network> tcp_network::make(io::io_runtime& io, tcp_network_config cfg) {
  return std::shared_ptr<tcp_network>(new tcp_network(io, std::move(cfg)));
}

caf::error tcp_network::listen(accept_fn on_accept) {
  if (!cfg_.listen)
    return {};
  std::lock_guard<std::mutex> guard{mtx_};
  if (stopped_ || listener_)
    return {};
  auto on_conn = [w = weak_from_this(), adm = adm_, fn = std::move(on_accept),
                  type = cfg_.type](io::stream_connection_ptr conn) {
    auto self = w.lock();
    if (!self || !fn) {
      conn->close_with_reset();
      return;
    }
    std::weak_ptr<io::stream_connection> wc = conn;
    auto remote = conn->remote_endpoint();
    auto ticket = admit_connection(*adm, type, io::parse_remote_address(remote), remote, [wc] {
      if (auto c = wc.lock())
        c->close_with_reset(); // the handshake ends as a cut
    });
    if (!ticket) {
      conn->close_with_reset();
      return;
    }
    fn(std::move(conn), std::move(ticket));
  };
  auto l = open_with_increments(cfg_.listen_port, cfg_.port_attempts, [&](uint16_t p) {
    return io::tcp_listener::start(io_, cfg_.listen_host, p, on_conn);
  });
  if (l) {
    listener_ = std::move(*l);
    port_.store(listener_->port(), std::memory_order_release);
    listen_error_.clear();
    SKYWIRE_LOG(
      info, component, "transport listener up", log::kv("type", cfg_.type),
      log::kv("addr", (cfg_.listen_host.empty() ? std::string{"0.0.0.0"} : cfg_.listen_host) + ":"
                        + std::to_string(listener_->port())));
    return {};
  }
  listen_error_ = describe(l.error());
  SKYWIRE_LOG(error, component, "transport listener failed; dialing only",
              log::kv("type", cfg_.type), log::kv("error", listen_error_));
  return make_error(transport_errc::unreachable, listen_error_);
}

void tcp_network::dial(const public_key& remote, unsigned, dial_fn cb) {
  if (!cfg_.resolve)
    return cb(make_error(transport_errc::unreachable,
                         "no way to find the " + cfg_.type + " address of " + remote.hex()));
  cfg_.resolve(remote, [w = weak_from_this(),
                        cb = std::move(cb)](expected<std::vector<std::string>> addrs) mutable {
    auto self = w.lock();
    if (!self)
      return cb(make_error(transport_errc::closed, "the transport type was stopped"));
    if (!addrs)
      return cb(addrs.error());
    tcp_connect(self->io_, std::move(*addrs), self->cfg_.connect_timeout, std::move(cb));
  });
}

void tcp_network::stop() {
  io::tcp_listener_ptr l;
  std::function<void()> bg;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopped_ = true;
    l = std::move(listener_);
    bg = std::move(stop_background_);
    stop_background_ = nullptr;
  }
  if (l)
    l->stop();
  if (bg)
    bg();
  port_.store(0, std::memory_order_release);
}

boost::json::object tcp_network::info() const {
  boost::json::object o;
  o["type"] = cfg_.type;
  std::lock_guard<std::mutex> guard{mtx_};
  if (listener_)
    o["listening"] = (cfg_.listen_host.empty() ? std::string{"0.0.0.0"} : cfg_.listen_host) + ":"
                     + std::to_string(listener_->port());
  else
    o["listening"] = nullptr;
  if (!listen_error_.empty())
    o["listen_error"] = listen_error_;
  add_admission_info(o, *adm_);
  return o;
}

io::admission_ticket_ptr admit_connection(io::admission& adm, const std::string& type,
                                          const boost::asio::ip::address& from,
                                          const std::string& remote,
                                          std::function<void()> on_evict) {
  auto d = adm.admit(from, std::move(on_evict));
  if (d.ticket)
    return std::move(d.ticket);
  static log::rate_limit limit{20};
  uint64_t suppressed = 0;
  if (limit.allow(suppressed))
    SKYWIRE_LOG(info, component, "connection refused", log::kv("type", type),
                log::kv("cause", std::string{"admission: "} + io::to_string(d.why)),
                log::kv("remote", remote), log::kv("similar_lines_suppressed", suppressed));
  return nullptr;
}

} // namespace skywire::transport
