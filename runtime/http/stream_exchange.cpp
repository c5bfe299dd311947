#include "runtime/http/stream_exchange.hpp"

#include <optional>
#include <sstream>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "runtime/http/error.hpp"
#include "runtime/http/parse.hpp"

namespace skywire::http {

namespace bhttp = boost::beast::http;

std::string serialize_request(const client_request& req) {
  bhttp::request<bhttp::string_body> out;
  out.version(11);
  out.method(req.method);
  out.target(req.target);
  std::string host = req.host;
  if (host.find(':') != std::string::npos)
    host = "[" + host + "]";
  out.set(bhttp::field::host, host + ":" + std::to_string(req.port));
  out.set(bhttp::field::user_agent, "skywire-cpp");
  out.set(bhttp::field::connection, "close");
  for (const auto& [k, v] : req.headers)
    out.insert(k, v);
  if (!req.body.empty() || req.method == verb::post || req.method == verb::put) {
    if (!req.content_type.empty())
      out.set(bhttp::field::content_type, req.content_type);
    out.body() = req.body;
  }
  out.prepare_payload();
  std::ostringstream os;
  os << out;
  return os.str();
}

struct response_reader::impl {
  bhttp::response_parser<bhttp::string_body> parser;
  std::string pending; ///< bytes the parser has not taken yet (a partial header)
  size_t header_limit;
};

response_reader::response_reader(size_t header_limit, size_t body_limit)
  : impl_(std::make_unique<impl>()) {
  impl_->header_limit = header_limit;
  impl_->parser.header_limit(static_cast<std::uint32_t>(header_limit));
  impl_->parser.body_limit(body_limit);
  impl_->parser.eager(true);
}

response_reader::~response_reader() = default;

response_reader::state response_reader::feed(std::span<const uint8_t> bytes) {
  if (state_ != state::need_more)
    return state_;
  // Bounded: the parser takes the body as it comes; only an unfinished
  // header waits here, and the header limit caps it.
  impl_->pending.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return run();
}

response_reader::state response_reader::run() {
  auto& p = impl_->parser;
  while (!impl_->pending.empty() && !p.is_done()) {
    boost::beast::error_code ec;
    auto used = p.put(boost::asio::buffer(impl_->pending), ec);
    impl_->pending.erase(0, used);
    if (ec == bhttp::error::need_more) {
      if (!p.is_header_done() && impl_->pending.size() > impl_->header_limit) {
        err_ = make_error(http_errc::too_large, "response header over "
                                                  + std::to_string(impl_->header_limit)
                                                  + " bytes");
        return state_ = state::failed;
      }
      break;
    }
    if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
      err_ = make_error(http_errc::too_large, "response exceeds its limit");
      return state_ = state::failed;
    }
    if (ec) {
      err_ = make_error(http_errc::protocol, ec.message());
      return state_ = state::failed;
    }
    if (used == 0)
      break;
  }
  if (p.is_done())
    return state_ = state::done;
  return state_;
}

response_reader::state response_reader::finish() {
  if (state_ != state::need_more)
    return state_;
  auto& p = impl_->parser;
  if (p.is_header_done()) {
    boost::beast::error_code ec;
    p.put_eof(ec);
    if (!ec && p.is_done())
      return state_ = state::done;
  }
  err_ = make_error(http_errc::closed, p.is_header_done() ? "the stream ended inside the body"
                                                          : "the stream ended before a response");
  return state_ = state::failed;
}

response response_reader::take() {
  return to_response(impl_->parser.release());
}

} // namespace skywire::http
