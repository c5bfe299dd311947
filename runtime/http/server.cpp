#include "runtime/http/server.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "messages/wire/json/go_json.hpp"
#include "runtime/http/error.hpp"
#include "runtime/http/parse.hpp"

namespace skywire::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

response json_error(unsigned status, std::string_view message) {
  std::string body;
  wire::json::writer w{body};
  w.begin_object().key("message").string(message).key("code").integer(status).end_object();
  return make_response(status, std::move(body));
}

namespace {
class session;
} // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  asio::io_context& ctx;
  server_config cfg;
  router routes;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  std::atomic<uint16_t> bound_port{0};
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> accepted{0}, rejected{0}, requests{0}, r4xx{0}, r5xx{0}, active{0};
  std::mutex mtx;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, std::weak_ptr<session>> sessions;
  io::admission_ptr adm;

  impl(asio::io_context& c, server_config conf, router r)
    : ctx(c), cfg(std::move(conf)), routes(std::move(r)), acceptor(asio::make_strand(c)),
      retry_timer(acceptor.get_executor()) {
    io::admission_config ac;
    ac.max_pending = std::max<size_t>(cfg.max_connections, 1);
    ac.max_pending_per_ip = cfg.max_connections_per_ip;
    ac.max_pending_per_prefix = cfg.max_connections_per_prefix;
    ac.deadline = cfg.read_timeout;
    ac.min_deadline = std::min(cfg.min_header_timeout, cfg.read_timeout);
    adm = io::admission::make(ac);
    if (!cfg.error_response)
      cfg.error_response = [](unsigned st, std::string_view why) { return json_error(st, why); };
  }

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket sock);
  void unregister(uint64_t id) {
    std::lock_guard<std::mutex> g{mtx};
    sessions.erase(id);
  }
  void count(unsigned st) {
    if (st >= 500)
      ++r5xx;
    else if (st >= 400)
      ++r4xx;
  }
};

namespace {

class session : public std::enable_shared_from_this<session> {
public:
  session(std::shared_ptr<server::impl> srv, tcp::socket sock, uint64_t id,
          io::admission_ticket_ptr ticket)
    : srv_(std::move(srv)), stream_(std::move(sock)), timer_(stream_.get_executor()), id_(id),
      ticket_(std::move(ticket)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  ~session() { --srv_->active; }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  /// Closes from any thread.
  void shutdown() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

private:
  void do_read() {
    if (closed_)
      return;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_->cfg.header_limit));
    parser_->body_limit(std::max(srv_->routes.max_body_limit(), srv_->cfg.default_body_limit));
    // Waiting for a header (first or keep-alive): evictable, and the
    // deadline is what the pressure allows now.
    auto deadline = ticket_ ? ticket_->idle() : srv_->cfg.read_timeout;
    stream_.expires_after(std::min(deadline, srv_->cfg.read_timeout));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               self->on_header(ec);
                             });
  }

  bool handle_read_error(beast::error_code ec) {
    if (!ec)
      return false;
    if (ec == bhttp::error::header_limit)
      fail(431, "request header too large");
    else if (ec == bhttp::error::body_limit)
      fail(413, "request body too large");
    else if (ec.category() == bhttp::make_error_code(bhttp::error::need_more).category() && ec != bhttp::error::end_of_stream
             && ec != bhttp::error::partial_message)
      fail(400, "malformed request: " + ec.message());
    else
      close(); // EOF, timeout, reset, shutdown
    return true;
  }

  void on_header(beast::error_code ec) {
    if (handle_read_error(ec))
      return;
    if (ticket_)
      ticket_->busy(); // a request is being served: never evicted
    auto& h = parser_->get();
    auto target = std::string_view{h.target().data(), h.target().size()};
    auto path = target.substr(0, target.find('?'));
    match_ = srv_->routes.find(h.method(), path);
    size_t limit = match_.result == router::outcome::found ? match_.r->options.body_limit
                                                           : srv_->cfg.default_body_limit;
    if (auto cl = parser_->content_length(); cl && *cl > limit) {
      fail(413, "request body too large");
      return;
    }
    parser_->body_limit(limit);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->on_body(ec);
                      });
  }

  void on_body(beast::error_code ec) {
    if (handle_read_error(ec))
      return;
    ++srv_->requests;
    auto req = to_request(parser_->release());
    req.remote = remote_;
    keep_alive_ = req.keep_alive;
    if (match_.result == router::outcome::not_found) {
      write(srv_->cfg.error_response(404, "not found"));
      return;
    }
    if (match_.result == router::outcome::method_not_allowed) {
      auto r = srv_->cfg.error_response(405, "method not allowed");
      r.headers.emplace_back("Allow", match_.allow);
      write(std::move(r));
      return;
    }
    for (auto& [k, v] : match_.params)
      req.params.emplace(std::move(k), std::move(v));
    auto seq = ++seq_;
    awaiting_ = true;
    timer_.expires_after(srv_->cfg.handler_timeout);
    timer_.async_wait([self = shared_from_this(), seq](beast::error_code tec) {
      if (!tec)
        self->on_response(seq, self->srv_->cfg.error_response(504, "handler timed out"));
    });
    // The responder holds only a weak reference (no executor): it may outlive
    // the session and even the io_context (e.g. kept by an actor).
    std::weak_ptr<session> weak = shared_from_this();
    responder res{[weak, seq](response r) {
      if (auto self = weak.lock())
        self->post_response(seq, std::move(r));
    }};
    try {
      match_.r->fn(std::move(req), res);
    } catch (const std::exception&) {
      res.send(srv_->cfg.error_response(500, "something unexpected happened"));
    }
  }

  void post_response(uint64_t seq, response r) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), seq, r = std::move(r)]() mutable {
      self->on_response(seq, std::move(r));
    });
  }

  void on_response(uint64_t seq, response r) {
    if (closed_ || !awaiting_ || seq != seq_)
      return;
    awaiting_ = false;
    timer_.cancel();
    write(std::move(r));
  }

  void fail(unsigned st, std::string why) {
    keep_alive_ = false;
    write(srv_->cfg.error_response(st, why));
  }

  void write(response r) {
    if (closed_)
      return;
    srv_->count(r.status);
    res_ = {};
    res_.version(11);
    res_.result(r.status);
    res_.set(bhttp::field::server, srv_->cfg.server_name);
    if (!r.content_type.empty())
      res_.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers)
      res_.insert(k, v);
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive_ && !srv_->stopping.load());
    res_.prepare_payload();
    stream_.expires_after(srv_->cfg.write_timeout);
    bhttp::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_write(ec);
    });
  }

  void on_write(beast::error_code ec) {
    if (ec || !res_.keep_alive()) {
      close();
      return;
    }
    do_read();
  }

  void close() {
    if (closed_)
      return;
    closed_ = true;
    awaiting_ = false;
    timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    srv_->unregister(id_);
    if (ticket_)
      ticket_->release();
  }

  std::shared_ptr<server::impl> srv_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_{16 * 1024};
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  router::match match_;
  std::string remote_;
  uint64_t id_;
  io::admission_ticket_ptr ticket_;
  uint64_t seq_ = 0;
  bool awaiting_ = false;
  bool keep_alive_ = true;
  bool closed_ = false;
};

} // namespace

void server::impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ctx),
                        [self = shared_from_this()](beast::error_code ec, tcp::socket sock) {
                          self->on_accept(ec, std::move(sock));
                        });
}

void server::impl::on_accept(beast::error_code ec, tcp::socket sock) {
  if (stopping.load() || ec == asio::error::operation_aborted)
    return;
  if (ec) {
    // e.g. out of file descriptors: back off briefly instead of spinning
    retry_timer.expires_after(std::chrono::milliseconds{50});
    retry_timer.async_wait([self = shared_from_this()](beast::error_code tec) {
      if (!tec && !self->stopping.load())
        self->do_accept();
    });
    return;
  }
  beast::error_code rec;
  auto from = sock.remote_endpoint(rec);
  // The session is created after the admission decision; an eviction finds
  // it through this cell (both run on this io_context's one thread).
  auto cell = std::make_shared<std::weak_ptr<session>>();
  io::admission::decision d;
  if (!rec)
    d = adm->admit(from.address(), [cell] {
      if (auto s = cell->lock())
        s->shutdown();
    });
  if (!d.ticket) {
    // Nothing evictable in the newcomer's scope (its address, its /24, or
    // all connections busy): 503 with the reason, then close.
    ++rejected;
    std::string why = rec ? "no peer address" : std::string{"admission: "} + io::to_string(d.why);
    std::string busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                       "Content-Length: "
                       + std::to_string(why.size()) + "\r\nConnection: close\r\n\r\n" + why;
    beast::error_code wec;
    sock.non_blocking(true, wec);
    sock.write_some(asio::buffer(busy.data(), busy.size()), wec);
    sock.shutdown(tcp::socket::shutdown_both, wec);
    sock.close(wec);
  } else {
    ++accepted;
    ++active;
    beast::error_code oec;
    sock.set_option(tcp::no_delay{true}, oec);
    std::shared_ptr<session> s;
    {
      std::lock_guard<std::mutex> g{mtx};
      auto id = next_id++;
      s = std::make_shared<session>(shared_from_this(), std::move(sock), id, std::move(d.ticket));
      sessions.emplace(id, s);
    }
    *cell = s;
    s->run();
  }
  do_accept();
}

expected<listen_address> parse_listen_address(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return make_error(http_errc::bad_url, "listen address needs host:port: " + std::string{text});
  auto host = text.substr(0, colon);
  auto port_text = text.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 2 || host.back() != ']')
      return make_error(http_errc::bad_url, "bad IPv6 literal: " + std::string{text});
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return make_error(http_errc::bad_url, "IPv6 hosts need brackets: " + std::string{text});
  }
  unsigned v = 0;
  if (port_text.empty() || port_text.size() > 5)
    return make_error(http_errc::bad_url, "bad port: " + std::string{text});
  for (char c : port_text) {
    if (c < '0' || c > '9')
      return make_error(http_errc::bad_url, "bad port: " + std::string{text});
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535)
    return make_error(http_errc::bad_url, "bad port: " + std::string{text});
  return listen_address{std::string{host}, static_cast<uint16_t>(v)};
}

server::server(io::io_runtime& io, server_config cfg, router routes)
  : impl_(std::make_shared<impl>(io.context(), std::move(cfg), std::move(routes))) {
}

server::~server() {
  stop();
}

expected<uint16_t> server::start() {
  auto& d = *impl_;
  beast::error_code ec;
  asio::ip::address addr;
  if (d.cfg.host.empty()) {
    addr = asio::ip::address_v6::any();
  } else if (d.cfg.host == "localhost") {
    addr = asio::ip::address_v4::loopback();
  } else {
    addr = asio::ip::make_address(d.cfg.host, ec);
    if (ec)
      return make_error(http_errc::bind_failed, "not a numeric address: " + d.cfg.host);
  }
  tcp::endpoint ep{addr, d.cfg.port};
  d.acceptor.open(ep.protocol(), ec);
  if (!ec && addr.is_v6() && addr.is_unspecified())
    d.acceptor.set_option(asio::ip::v6_only(false), ec);
  if (!ec)
    d.acceptor.set_option(asio::socket_base::reuse_address{true}, ec);
  if (!ec)
    d.acceptor.bind(ep, ec);
  if (!ec)
    d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignore;
    d.acceptor.close(ignore);
    return make_error(http_errc::bind_failed,
                      d.cfg.host + ":" + std::to_string(d.cfg.port) + ": " + ec.message());
  }
  d.bound_port = d.acceptor.local_endpoint(ec).port();
  asio::dispatch(d.acceptor.get_executor(), [self = impl_] { self->do_accept(); });
  return d.bound_port.load();
}

void server::stop() {
  if (!impl_ || impl_->stopping.exchange(true))
    return;
  auto self = impl_;
  asio::post(self->acceptor.get_executor(), [self] {
    beast::error_code ec;
    self->acceptor.close(ec);
    self->retry_timer.cancel();
  });
  std::vector<std::shared_ptr<session>> live;
  {
    std::lock_guard<std::mutex> g{self->mtx};
    for (auto& [id, w] : self->sessions)
      if (auto s = w.lock())
        live.push_back(std::move(s));
  }
  for (auto& s : live)
    s->shutdown();
}

uint16_t server::port() const noexcept {
  return impl_->bound_port.load();
}

server_stats server::stats() const noexcept {
  server_stats s;
  s.connections_accepted = impl_->accepted.load();
  s.connections_rejected = impl_->rejected.load();
  s.requests = impl_->requests.load();
  s.responses_4xx = impl_->r4xx.load();
  s.responses_5xx = impl_->r5xx.load();
  s.active_connections = impl_->active.load();
  s.connections_evicted = impl_->adm->counter(io::refusal::evicted);
  return s;
}

const io::admission& server::admission() const noexcept {
  return *impl_->adm;
}

std::string server::metrics_text(std::string_view prefix) const {
  auto s = stats();
  std::string out;
  auto line = [&](std::string_view name, std::string_view type, uint64_t v) {
    out += "# TYPE ";
    out += prefix;
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += prefix;
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  line("http_connections_accepted_total", "counter", s.connections_accepted);
  line("http_connections_rejected_total", "counter", s.connections_rejected);
  line("http_requests_total", "counter", s.requests);
  line("http_responses_4xx_total", "counter", s.responses_4xx);
  line("http_responses_5xx_total", "counter", s.responses_5xx);
  line("http_active_connections", "gauge", s.active_connections);
  line("http_connections_evicted_total", "counter", s.connections_evicted);
  out += impl_->adm->metrics_text(std::string{prefix} + "http_");
  return out;
}

} // namespace skywire::http
