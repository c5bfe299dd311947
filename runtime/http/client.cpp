#include "runtime/http/client.hpp"

#include <charconv>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "runtime/http/error.hpp"
#include "runtime/http/parse.hpp"

namespace skywire::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

expected<url> parse_url(std::string_view text) {
  constexpr std::string_view http_scheme = "http://";
  constexpr std::string_view dmsg_scheme = "dmsg://";
  url out;
  if (text.substr(0, http_scheme.size()) == http_scheme) {
    text.remove_prefix(http_scheme.size());
  } else if (text.substr(0, dmsg_scheme.size()) == dmsg_scheme) {
    text.remove_prefix(dmsg_scheme.size());
    out.scheme = "dmsg";
  } else {
    return make_error(http_errc::bad_url, "only http:// and dmsg:// URLs are supported");
  }
  auto slash = text.find('/');
  auto authority = text.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string{text.substr(slash)};
  std::string_view host = authority;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return make_error(http_errc::bad_url, "unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return make_error(http_errc::bad_url, "junk after IPv6 literal");
      port_text = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty())
    return make_error(http_errc::bad_url, "empty host");
  if (!port_text.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc{} || p != port_text.data() + port_text.size() || v == 0 || v > 65535)
      return make_error(http_errc::bad_url, "bad port: " + std::string{port_text});
    out.port = static_cast<uint16_t>(v);
  }
  out.host = std::string{host};
  return out;
}

expected<client_request> make_client_request(verb method, std::string_view full_url,
                                             std::string body) {
  auto u = parse_url(full_url);
  if (!u)
    return u.error();
  client_request r;
  r.scheme = std::move(u->scheme);
  r.method = method;
  r.host = std::move(u->host);
  r.port = u->port;
  r.target = std::move(u->target);
  r.body = std::move(body);
  return r;
}

namespace {

class client_op : public std::enable_shared_from_this<client_op> {
public:
  client_op(asio::io_context& ctx, client_request req, client_callback cb)
    : strand_(asio::make_strand(ctx)), resolver_(strand_), stream_(strand_), timer_(strand_),
      req_(std::move(req)), cb_(std::move(cb)) {}

  void start() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->begin(); });
  }

private:
  void begin() {
    deadline_ = std::chrono::steady_clock::now() + req_.timeout;
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && !self->done_) {
        self->timed_out_ = true;
        self->resolver_.cancel();
        beast::error_code ignore;
        self->stream_.socket().close(ignore);
      }
    });
    beast::error_code ec;
    auto addr = asio::ip::make_address(req_.host, ec);
    if (!ec) {
      connect(tcp::endpoint{addr, req_.port});
      return;
    }
    resolver_.async_resolve(req_.host, std::to_string(req_.port),
                            [self = shared_from_this()](beast::error_code rec,
                                                        tcp::resolver::results_type res) {
                              if (rec)
                                return self->finish(rec, http_errc::resolve_failed);
                              self->stream_.expires_at(self->deadline_);
                              self->stream_.async_connect(
                                res, [self](beast::error_code cec, const tcp::endpoint&) {
                                  self->on_connect(cec);
                                });
                            });
  }

  void connect(tcp::endpoint ep) {
    stream_.expires_at(deadline_);
    stream_.async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      self->on_connect(ec);
    });
  }

  void on_connect(beast::error_code ec) {
    if (ec)
      return finish(ec, http_errc::connect_failed);
    out_.version(11);
    out_.method(req_.method);
    out_.target(req_.target);
    std::string host_hdr = req_.host;
    if (host_hdr.find(':') != std::string::npos)
      host_hdr = "[" + host_hdr + "]";
    out_.set(bhttp::field::host, host_hdr + ":" + std::to_string(req_.port));
    out_.set(bhttp::field::user_agent, "skywire-cpp");
    out_.set(bhttp::field::connection, "close");
    for (auto& [k, v] : req_.headers)
      out_.insert(k, v);
    if (!req_.body.empty() || req_.method == verb::post || req_.method == verb::put) {
      if (!req_.content_type.empty())
        out_.set(bhttp::field::content_type, req_.content_type);
      out_.body() = std::move(req_.body);
    }
    out_.prepare_payload();
    stream_.expires_at(deadline_);
    bhttp::async_write(stream_, out_, [self = shared_from_this()](beast::error_code wec, size_t) {
      self->on_write(wec);
    });
  }

  void on_write(beast::error_code ec) {
    if (ec)
      return finish(ec, http_errc::closed);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(req_.header_limit));
    parser_->body_limit(req_.response_limit);
    stream_.expires_at(deadline_);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code rec, size_t) {
                        self->on_read(rec);
                      });
  }

  void on_read(beast::error_code ec) {
    if (ec)
      return finish(ec, http_errc::closed);
    complete(to_response(parser_->release()));
  }

  void finish(beast::error_code ec, http_errc fallback) {
    if (timed_out_ || ec == beast::error::timeout)
      return complete(make_error(http_errc::timeout, "no response within "
                                                       + std::to_string(req_.timeout.count())
                                                       + " ms"));
    if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit)
      return complete(make_error(http_errc::too_large, "response exceeds "
                                                         + std::to_string(req_.response_limit)
                                                         + " bytes"));
    if (ec.category() == bhttp::make_error_code(bhttp::error::need_more).category()
        && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
      return complete(make_error(http_errc::protocol, ec.message()));
    complete(make_error(fallback, ec.message()));
  }

  void complete(expected<response> result) {
    if (done_)
      return;
    done_ = true;
    timer_.cancel();
    beast::error_code ignore;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignore);
    stream_.close();
    auto cb = std::move(cb_);
    cb_ = nullptr;
    if (cb)
      cb(std::move(result));
  }

  asio::strand<asio::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  client_request req_;
  client_callback cb_;
  bhttp::request<bhttp::string_body> out_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  std::chrono::steady_clock::time_point deadline_;
  bool timed_out_ = false;
  bool done_ = false;
};

} // namespace

void async_request(io::io_runtime& io, client_request req, client_callback cb) {
  if (req.scheme != "http")
    return cb(make_error(http_errc::bad_url, req.scheme + "://" + req.host
                                               + ": needs a dmsg client (dmsghttp), not plain TCP"));
  std::make_shared<client_op>(io.context(), std::move(req), std::move(cb))->start();
}

expected<response> request_sync(client_request req) {
  if (req.scheme != "http")
    return make_error(http_errc::bad_url, req.scheme + "://" + req.host
                                            + ": needs a dmsg client (dmsghttp), not plain TCP");
  asio::io_context ctx;
  std::optional<expected<response>> result;
  std::make_shared<client_op>(ctx, std::move(req), [&](expected<response> r) {
    result.emplace(std::move(r));
  })->start();
  ctx.run();
  if (!result)
    return make_error(http_errc::cancelled, "event loop ended without a result");
  return std::move(*result);
}

} // namespace skywire::http
