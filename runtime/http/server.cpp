#include "runtime/http/server.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <sstream>
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
#include "runtime/http/metrics.hpp"
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

/// What the server can close on stop() or on an eviction: a TCP session or
/// an external (dmsg) connection.
class conn_base {
public:
  virtual ~conn_base() = default;
  /// Closes from any thread.
  virtual void shutdown() = 0;
};

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
  std::unordered_map<uint64_t, std::weak_ptr<conn_base>> sessions;
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

  // -- what TCP sessions and external connections share ---------------------------

  /// The route of a request head (path without the query).
  router::match route(verb method, std::string_view target) const {
    return routes.find(method, target.substr(0, target.find('?')));
  }
  /// The body limit that applies under a route match.
  size_t body_limit(const router::match& m) const {
    return m.result == router::outcome::found ? m.r->options.body_limit : cfg.default_body_limit;
  }
  /// The error reply a failed read gets (nullopt: just close: EOF, timeout,
  /// reset, shutdown).
  std::optional<response> read_failure(beast::error_code ec) const {
    if (ec == bhttp::error::header_limit)
      return cfg.error_response(431, "request header too large");
    if (ec == bhttp::error::body_limit)
      return cfg.error_response(413, "request body too large");
    if (ec.category() == bhttp::make_error_code(bhttp::error::need_more).category()
        && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
      return cfg.error_response(400, "malformed request: " + ec.message());
    return std::nullopt;
  }
  /// Routes a complete request: an immediate answer (404, 405, a throwing
  /// handler's 500), or nullopt when the handler took it and answers
  /// through `res`.
  std::optional<response> dispatch(request req, router::match& m, const responder& res) {
    ++requests;
    if (m.result == router::outcome::not_found)
      return cfg.error_response(404, "not found");
    if (m.result == router::outcome::method_not_allowed) {
      auto r = cfg.error_response(405, "method not allowed");
      r.headers.emplace_back("Allow", m.allow);
      return r;
    }
    for (auto& [k, v] : m.params)
      req.params.emplace(std::move(k), std::move(v));
    try {
      m.r->fn(std::move(req), res);
    } catch (const std::exception&) {
      return cfg.error_response(500, "something unexpected happened");
    }
    return std::nullopt;
  }
  /// The wire form of a response (counted in the stats).
  void to_beast(response r, bool keep_alive, bhttp::response<bhttp::string_body>& out) {
    count(r.status);
    out = {};
    out.version(11);
    out.result(r.status);
    out.set(bhttp::field::server, cfg.server_name);
    if (!r.content_type.empty())
      out.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers)
      out.insert(k, v);
    out.body() = std::move(r.body);
    out.keep_alive(keep_alive && !stopping.load());
    out.prepare_payload();
  }
  /// The bytes of a one-shot response (Connection: close).
  std::string serialize(response r) {
    bhttp::response<bhttp::string_body> out;
    to_beast(std::move(r), false, out);
    std::ostringstream os;
    os << out;
    return os.str();
  }
  /// Registers a connection for stop() (false: stopping, refuse it).
  std::optional<uint64_t> enroll(const std::shared_ptr<conn_base>& c) {
    std::lock_guard<std::mutex> g{mtx};
    if (stopping.load())
      return std::nullopt;
    auto id = next_id++;
    sessions.emplace(id, c);
    return id;
  }

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

class session : public conn_base, public std::enable_shared_from_this<session> {
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

  void shutdown() override {
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
    if (auto r = srv_->read_failure(ec)) {
      keep_alive_ = false;
      write(std::move(*r));
    } else {
      close(); // EOF, timeout, reset, shutdown
    }
    return true;
  }

  void on_header(beast::error_code ec) {
    if (handle_read_error(ec))
      return;
    if (ticket_)
      ticket_->busy(); // a request is being served: never evicted
    auto& h = parser_->get();
    match_ = srv_->route(h.method(), std::string_view{h.target().data(), h.target().size()});
    size_t limit = srv_->body_limit(match_);
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
    auto req = to_request(parser_->release());
    req.remote = remote_;
    keep_alive_ = req.keep_alive;
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
    if (auto r = srv_->dispatch(std::move(req), match_, res))
      on_response(seq, std::move(*r));
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
    srv_->to_beast(std::move(r), keep_alive_, res_);
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

/// One external connection (a dmsg stream): the bytes are pushed in by its
/// owner; one request is read, routed and answered, then the connection
/// ends. Everything runs on its own strand of the server's io_context.
class ext_session : public conn_base,
                    public external_connection,
                    public std::enable_shared_from_this<ext_session> {
public:
  ext_session(std::shared_ptr<server::impl> srv, external_peer peer, io::admission_ticket_ptr ticket)
    : srv_(std::move(srv)), strand_(asio::make_strand(srv_->ctx)), timer_(strand_),
      peer_(std::move(peer)), ticket_(std::move(ticket)) {
    parser_.header_limit(static_cast<std::uint32_t>(srv_->cfg.header_limit));
    parser_.body_limit(std::max(srv_->routes.max_body_limit(), srv_->cfg.default_body_limit));
    parser_.eager(true);
  }

  ~ext_session() override { --srv_->active; }

  void start(uint64_t id) {
    id_ = id;
    asio::dispatch(strand_, [self = shared_from_this()] {
      // the request head (and body) must arrive within the deadline the
      // pressure allows now, as on TCP
      auto deadline = std::min(self->ticket_ ? self->ticket_->deadline()
                                             : self->srv_->cfg.read_timeout,
                               self->srv_->cfg.read_timeout);
      self->arm(deadline, [self] {
        if (!self->request_read_)
          self->end();
      });
    });
  }

  void feed(std::span<const uint8_t> bytes) override {
    std::string copy{reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    asio::post(strand_, [self = shared_from_this(), copy = std::move(copy)]() mutable {
      self->on_bytes(copy);
    });
  }

  void peer_closed() override {
    asio::post(strand_, [self = shared_from_this()] {
      self->peer_gone_ = true;
      self->end();
    });
  }

  void shutdown() override {
    asio::post(strand_, [self = shared_from_this()] { self->end(); });
  }

private:
  template <class Fn>
  void arm(std::chrono::milliseconds d, Fn fn) {
    timer_.expires_after(d);
    timer_.async_wait([fn = std::move(fn)](beast::error_code ec) {
      if (!ec)
        fn();
    });
  }

  void on_bytes(const std::string& bytes) {
    if (closed_ || request_read_)
      return; // one request per connection; what follows it is ignored
    pending_ += bytes;
    while (!pending_.empty() && !parser_.is_done()) {
      beast::error_code ec;
      auto used = parser_.put(asio::buffer(pending_), ec);
      pending_.erase(0, used);
      if (!ec && !header_seen_ && parser_.is_header_done() && !on_header())
        return;
      if (ec == bhttp::error::need_more) {
        // a partial header waits here; the header limit caps it
        if (!parser_.is_header_done() && pending_.size() > srv_->cfg.header_limit)
          return fail(srv_->cfg.error_response(431, "request header too large"));
        break;
      }
      if (ec) {
        if (auto r = srv_->read_failure(ec))
          return fail(std::move(*r));
        return end();
      }
      if (used == 0)
        break;
    }
    if (parser_.is_done())
      on_request();
  }

  /// The head is complete: route it and apply the route's body limit.
  bool on_header() {
    header_seen_ = true;
    if (ticket_)
      ticket_->busy(); // a request is being served: never evicted
    auto& h = parser_.get();
    match_ = srv_->route(h.method(), std::string_view{h.target().data(), h.target().size()});
    size_t limit = srv_->body_limit(match_);
    if (auto cl = parser_.content_length(); cl && *cl > limit) {
      fail(srv_->cfg.error_response(413, "request body too large"));
      return false;
    }
    parser_.body_limit(limit);
    return true;
  }

  void on_request() {
    request_read_ = true;
    auto req = to_request(parser_.release());
    req.remote = peer_.remote;
    req.keep_alive = false;
    arm(srv_->cfg.handler_timeout, [self = shared_from_this()] {
      self->respond(self->srv_->cfg.error_response(504, "handler timed out"));
    });
    std::weak_ptr<ext_session> weak = shared_from_this();
    responder res{[weak](response r) {
      if (auto self = weak.lock())
        asio::post(self->strand_, [self, r = std::move(r)]() mutable {
          self->respond(std::move(r));
        });
    }};
    if (auto r = srv_->dispatch(std::move(req), match_, res))
      respond(std::move(*r));
  }

  void fail(response r) {
    request_read_ = true;
    respond(std::move(r));
  }

  void respond(response r) {
    if (closed_ || responded_)
      return;
    responded_ = true;
    if (peer_.write)
      peer_.write(srv_->serialize(std::move(r)));
    end();
  }

  void end() {
    if (closed_)
      return;
    closed_ = true;
    timer_.cancel();
    if (id_)
      srv_->unregister(*id_);
    if (ticket_)
      ticket_->release();
    if (!peer_gone_ && peer_.close)
      peer_.close();
  }

  std::shared_ptr<server::impl> srv_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  external_peer peer_;
  io::admission_ticket_ptr ticket_;
  bhttp::request_parser<bhttp::string_body> parser_;
  std::string pending_;
  router::match match_;
  std::optional<uint64_t> id_; ///< set once enrolled for stop()
  bool header_seen_ = false;
  bool request_read_ = false;
  bool responded_ = false;
  bool peer_gone_ = false;
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
  std::vector<std::shared_ptr<conn_base>> live;
  {
    std::lock_guard<std::mutex> g{self->mtx};
    for (auto& [id, w] : self->sessions)
      if (auto s = w.lock())
        live.push_back(std::move(s));
  }
  for (auto& s : live)
    s->shutdown();
}

external_connection_ptr server::attach(external_peer peer) {
  auto& d = *impl_;
  auto cell = std::make_shared<std::weak_ptr<ext_session>>();
  io::admission::decision dec;
  if (!d.stopping.load())
    dec = d.adm->admit_keys(peer.source, peer.network.empty() ? peer.source : peer.network,
                            [cell] {
                              if (auto s = cell->lock())
                                s->shutdown();
                            });
  if (!dec.ticket) {
    ++d.rejected;
    std::string why = d.stopping.load() ? std::string{"server stopping"}
                                        : std::string{"admission: "} + io::to_string(dec.why);
    if (peer.write)
      peer.write(d.serialize(d.cfg.error_response(503, why)));
    if (peer.close)
      peer.close();
    return nullptr;
  }
  ++d.accepted;
  ++d.active;
  auto s = std::make_shared<ext_session>(impl_, std::move(peer), std::move(dec.ticket));
  *cell = s;
  auto id = d.enroll(s);
  if (!id) {
    s->shutdown();
    return nullptr;
  }
  s->start(*id);
  return s;
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
    append_metric(out, prefix, name, type, v);
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
