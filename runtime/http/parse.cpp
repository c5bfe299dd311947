#include "runtime/http/parse.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "runtime/http/error.hpp"

namespace skywire::http {

namespace bhttp = boost::beast::http;

request to_request(bhttp::request<bhttp::string_body>&& in) {
  request out;
  out.method = in.method();
  out.target = std::string{in.target()};
  auto q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos)
    out.query = out.target.substr(q + 1);
  out.keep_alive = in.keep_alive();
  for (const auto& f : in)
    out.headers.emplace_back(std::string{f.name_string()}, std::string{f.value()});
  out.body = std::move(in.body());
  return out;
}

response to_response(bhttp::response<bhttp::string_body>&& in) {
  response r;
  r.status = in.result_int();
  r.content_type = std::string{in[bhttp::field::content_type]};
  for (const auto& f : in)
    r.headers.emplace_back(std::string{f.name_string()}, std::string{f.value()});
  r.body = std::move(in.body());
  return r;
}

expected<request> parse_request(std::string_view bytes, const parse_limits& limits,
                                size_t* consumed, parse_failure* failure) {
  bhttp::request_parser<bhttp::string_body> p;
  p.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  p.body_limit(limits.body_limit);
  p.eager(true);
  boost::beast::error_code ec;
  size_t used = 0;
  while (!p.is_done()) {
    if (used == bytes.size()) {
      p.put_eof(ec);
      break;
    }
    auto n = p.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more) {
      ec = {};
      if (n == 0) { // the rest cannot complete the next element
        p.put_eof(ec);
        break;
      }
      continue;
    }
    if (ec)
      break;
  }
  if (consumed)
    *consumed = used;
  auto fail = [&](unsigned st, http_errc code, std::string why) -> expected<request> {
    if (failure) {
      failure->status = st;
      failure->reason = why;
    }
    return make_error(code, std::move(why));
  };
  if (ec == bhttp::error::header_limit)
    return fail(431, http_errc::too_large, "request header exceeds "
                                             + std::to_string(limits.header_limit) + " bytes");
  if (ec == bhttp::error::body_limit)
    return fail(413, http_errc::too_large,
                "request body exceeds " + std::to_string(limits.body_limit) + " bytes");
  if (ec)
    return fail(400, http_errc::protocol, ec.message());
  if (!p.is_done())
    return fail(400, http_errc::protocol, "incomplete request");
  return to_request(p.release());
}

} // namespace skywire::http
