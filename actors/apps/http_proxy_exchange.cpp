#include "actors/apps/http_proxy_exchange.hpp"

#include <algorithm>

namespace skywire::apps {

namespace socks5 = wire::socks5;

namespace {

/// The most a SOCKS method choice and reply take (a 255-byte domain bound).
constexpr size_t max_reply = 2 + 4 + 1 + 255 + 2;

std::vector<uint8_t> bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

} // namespace

http_proxy_exchange::actions http_proxy_exchange::fail(unsigned status, std::string reason) {
  actions a;
  if (phase_ == phase::done || phase_ == phase::failed)
    return a;
  phase_ = phase::failed;
  status_ = status;
  why_ = std::move(reason);
  a.to_client = bytes_of(http::proxy_error_answer(status_, why_));
  a.close = true;
  head_.clear();
  early_.clear();
  reply_.clear();
  return a;
}

http_proxy_exchange::actions http_proxy_exchange::from_client(std::span<const uint8_t> bytes) {
  if (phase_ == phase::handshake) {
    if (early_.size() + bytes.size() > max_early)
      return fail(400, "the client sent too much before the connection was established");
    early_.insert(early_.end(), bytes.begin(), bytes.end());
    return {};
  }
  if (phase_ != phase::head)
    return {};
  auto old = head_.size();
  head_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  // only a head that ended (or grew past the limit) is parsed: a client
  // sending a byte at a time costs a scan of what it sent, not a parse
  if (http::find_head_end(head_, old > 3 ? old - 3 : 0) == std::string::npos
      && head_.size() < http::max_proxy_head)
    return {};
  http::proxy_failure why;
  auto r = http::parse_proxy_head(head_, http::max_proxy_head, &why);
  if (!r)
    return fail(why.status, why.reason);
  if (!*r)
    return {}; // not reached: the head ended or is over the limit
  req_ = std::move(**r);
  early_.assign(head_.begin() + static_cast<std::ptrdiff_t>(req_.consumed), head_.end());
  head_.clear();
  head_.shrink_to_fit();
  auto req = socks5::encode_request({socks5::command::connect, req_.dst});
  if (!req)
    return fail(400, describe(req.error()));
  actions a;
  phase_ = phase::handshake;
  a.open_stream = true;
  const socks5::method no_auth[] = {socks5::method::no_auth};
  a.to_stream = socks5::encode_greeting(no_auth);
  a.to_stream.insert(a.to_stream.end(), req->begin(), req->end());
  return a;
}

http_proxy_exchange::actions http_proxy_exchange::from_stream(std::span<const uint8_t> bytes) {
  if (phase_ != phase::handshake)
    return {};
  // at most what the reply can still take is buffered; the rest is payload
  reply_.insert(reply_.end(), bytes.begin(), bytes.end());
  size_t pos = 0;
  if (!method_seen_) {
    auto m = socks5::parse_method_choice(reply_);
    if (!m)
      return fail(502, "the proxy server answered something else than SOCKS5");
    if (!*m)
      return {};
    if ((*m)->value != socks5::method::no_auth)
      return fail(502, "the proxy server asks for a passcode");
    method_seen_ = true;
    pos = (*m)->consumed;
    reply_.erase(reply_.begin(), reply_.begin() + static_cast<std::ptrdiff_t>(pos));
  }
  auto r = socks5::parse_reply(reply_);
  if (!r)
    return fail(502, "the proxy server answered something else than SOCKS5");
  if (!*r) {
    if (reply_.size() > max_reply)
      return fail(502, "the proxy server's reply is too long");
    return {};
  }
  if ((*r)->value.code != socks5::reply_code::succeeded) {
    auto code = (*r)->value.code;
    return fail(http::proxy_status_for(code),
                "the proxy server could not connect to " + req_.authority + " (SOCKS reply "
                  + std::to_string(static_cast<unsigned>(code)) + ")");
  }
  std::vector<uint8_t> rest(reply_.begin() + static_cast<std::ptrdiff_t>((*r)->consumed),
                            reply_.end());
  return succeed(rest);
}

http_proxy_exchange::actions http_proxy_exchange::succeed(std::span<const uint8_t> payload) {
  actions a;
  phase_ = phase::done;
  a.pipe = true;
  if (req_.tunnel) {
    a.to_client = bytes_of(http::connect_established);
  } else {
    a.to_stream = bytes_of(req_.head);
  }
  a.to_stream.insert(a.to_stream.end(), early_.begin(), early_.end());
  a.payload.assign(payload.begin(), payload.end());
  early_.clear();
  early_.shrink_to_fit();
  reply_.clear();
  reply_.shrink_to_fit();
  req_.head.clear();
  return a;
}

} // namespace skywire::apps
