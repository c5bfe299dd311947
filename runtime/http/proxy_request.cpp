#include "runtime/http/proxy_request.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>

#include "runtime/http/client.hpp"
#include "runtime/http/error.hpp"

namespace skywire::http {

namespace bhttp = boost::beast::http;
namespace socks5 = wire::socks5;

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
              return std::tolower(x) == std::tolower(y);
            });
}

/// A host name as DNS allows it (letters, digits, '-', '.', '_'), 1..255 bytes.
bool plain_host(std::string_view h) {
  return !h.empty() && h.size() <= 255 && std::all_of(h.begin(), h.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_';
  });
}

struct endpoint {
  socks5::target dst;
  std::string authority; ///< host[:port] as Host carries it (brackets kept)
};

/// host:port or [v6]:port; `need_port`: CONNECT's authority form names it.
expected<endpoint> parse_authority(std::string_view authority, bool need_port) {
  auto refuse = [](std::string why) -> expected<endpoint> {
    return make_error(http_errc::bad_url, std::move(why));
  };
  if (authority.find('@') != std::string_view::npos)
    return refuse("user info in the URI");
  auto u = parse_url("http://" + std::string{authority});
  if (!u || u->target != "/")
    return refuse("bad host or port");
  bool bracketed = !authority.empty() && authority.front() == '[';
  auto colon = authority.rfind(':');
  auto bracket = authority.rfind(']');
  bool has_port = colon != std::string_view::npos
                  && (bracket == std::string_view::npos || colon > bracket);
  if (need_port && !has_port)
    return refuse("CONNECT needs host:port");
  endpoint out;
  out.dst.port = u->port;
  boost::system::error_code ec;
  if (bracketed) {
    auto a = boost::asio::ip::make_address_v6(u->host, ec);
    if (ec || a.scope_id() != 0 || u->host.find('%') != std::string::npos)
      return refuse("bad IPv6 address");
    out.dst.type = socks5::target::kind::ipv6;
    auto b = a.to_bytes();
    std::copy(b.begin(), b.end(), out.dst.ip.begin());
  } else {
    if (!plain_host(u->host))
      return refuse("bad host name");
    // a dotted-quad literal goes as an IPv4 target, any other host as a name
    out.dst.type = socks5::target::kind::domain;
    out.dst.domain = u->host;
    out.dst = socks5::numeric(std::move(out.dst));
  }
  out.authority = bracketed ? "[" + u->host + "]" : u->host;
  if (has_port && u->port != 80)
    out.authority += ":" + std::to_string(u->port);
  return out;
}

/// Headers never forwarded (RFC 9110 §7.6.1 and the proxy's own).
bool hop_by_hop(std::string_view name) {
  static constexpr std::string_view names[] = {
    "connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate",
    "te",         "trailer",          "upgrade",    "host"};
  return std::any_of(std::begin(names), std::end(names),
                     [&](std::string_view n) { return iequals(n, name); });
}

/// The framing headers stay whatever Connection names.
bool framing(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding");
}

/// The tokens of every Connection header, lower case.
std::vector<std::string> connection_tokens(const bhttp::request<bhttp::empty_body>& req) {
  std::vector<std::string> out;
  for (const auto& f : req) {
    if (!iequals(f.name_string(), "connection"))
      continue;
    std::string_view v = f.value();
    while (!v.empty()) {
      auto comma = v.find(',');
      auto tok = v.substr(0, comma);
      while (!tok.empty() && (tok.front() == ' ' || tok.front() == '\t'))
        tok.remove_prefix(1);
      while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\t'))
        tok.remove_suffix(1);
      if (!tok.empty())
        out.push_back(lower(tok));
      if (comma == std::string_view::npos)
        break;
      v.remove_prefix(comma + 1);
    }
  }
  return out;
}

} // namespace

size_t find_head_end(std::string_view bytes, size_t from) {
  for (size_t i = bytes.find('\n', from); i != std::string_view::npos;
       i = bytes.find('\n', i + 1)) {
    if (i + 1 < bytes.size() && bytes[i + 1] == '\n')
      return i + 2;
    if (i + 2 < bytes.size() && bytes[i + 1] == '\r' && bytes[i + 2] == '\n')
      return i + 3;
  }
  return std::string_view::npos;
}

expected<std::optional<proxy_request>> parse_proxy_head(std::string_view bytes, size_t limit,
                                                        proxy_failure* failure) {
  auto fail = [&](unsigned st, std::string why) -> expected<std::optional<proxy_request>> {
    if (failure) {
      failure->status = st;
      failure->reason = why;
    }
    return make_error(st == 431 ? http_errc::too_large : http_errc::protocol, std::move(why));
  };
  auto end = find_head_end(bytes.substr(0, std::min(bytes.size(), limit + 1)));
  if (end == std::string_view::npos || end > limit) {
    if (bytes.size() >= limit)
      return fail(431, "the request head exceeds " + std::to_string(limit) + " bytes");
    return std::optional<proxy_request>{};
  }
  bhttp::request_parser<bhttp::empty_body> p;
  p.header_limit(static_cast<std::uint32_t>(limit));
  boost::beast::error_code ec;
  auto used = p.put(boost::asio::buffer(bytes.data(), end), ec);
  if (ec == bhttp::error::header_limit)
    return fail(431, "the request head exceeds " + std::to_string(limit) + " bytes");
  if (ec && ec != bhttp::error::need_more)
    return fail(400, "malformed request head: " + ec.message());
  if (!p.is_header_done() || used != end)
    return fail(400, "malformed request head");
  const auto& req = p.get();
  if (req.version() != 10 && req.version() != 11)
    return fail(400, "only HTTP/1.0 and HTTP/1.1 are proxied");
  if (req.count(bhttp::field::content_length) && req.count(bhttp::field::transfer_encoding))
    return fail(400, "both Content-Length and Transfer-Encoding");

  proxy_request out;
  out.consumed = end;
  std::string_view target = req.target();
  if (req.method() == bhttp::verb::connect) {
    auto ep = parse_authority(target, true);
    if (!ep)
      return fail(400, "CONNECT: " + describe(ep.error()));
    out.tunnel = true;
    out.dst = std::move(ep->dst);
    out.authority = std::string{target};
    return std::optional<proxy_request>{std::move(out)};
  }
  auto sep = target.find("://");
  if (sep == std::string_view::npos)
    return fail(400, "not a proxy request: the target is not an absolute http:// URI");
  if (!iequals(target.substr(0, sep), "http"))
    return fail(400, "only http:// URIs are forwarded (CONNECT for the others)");
  auto rest = target.substr(sep + 3);
  auto auth_end = rest.find_first_of("/?#");
  auto ep = parse_authority(rest.substr(0, auth_end), false);
  if (!ep)
    return fail(400, describe(ep.error()));
  std::string path{auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end)};
  if (auto hash = path.find('#'); hash != std::string::npos)
    path.erase(hash);
  if (path.empty() || path.front() != '/')
    path.insert(path.begin(), '/');
  out.dst = std::move(ep->dst);
  out.authority = ep->authority;

  auto named = connection_tokens(req);
  std::string& h = out.head;
  h.reserve(end + 32);
  h.append(req.method_string());
  h += ' ';
  h += path;
  h += req.version() == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
  h += "Host: " + ep->authority + "\r\n";
  for (const auto& f : req) {
    auto name = f.name_string();
    if (hop_by_hop(name))
      continue;
    if (!framing(name) && std::find(named.begin(), named.end(), lower(name)) != named.end())
      continue;
    h.append(name);
    h += ": ";
    h.append(f.value());
    h += "\r\n";
  }
  h += "Connection: close\r\n\r\n";
  return std::optional<proxy_request>{std::move(out)};
}

std::string proxy_error_answer(unsigned status, std::string_view reason) {
  std::string body{reason};
  std::replace_if(
    body.begin(), body.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }, ' ');
  body += '\n';
  auto phrase = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string{phrase} + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += body;
  return out;
}

unsigned proxy_status_for(socks5::reply_code code) {
  switch (code) {
    case socks5::reply_code::not_allowed: return 403;
    case socks5::reply_code::ttl_expired: return 504;
    default: return 502;
  }
}

} // namespace skywire::http
