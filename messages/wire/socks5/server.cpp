#include "messages/wire/socks5/server.hpp"

namespace skywire::wire::socks5 {

server_handshake::state server_handshake::refuse(std::string why, std::vector<uint8_t>& out,
                                                 std::span<const uint8_t> answer) {
  why_ = std::move(why);
  out.insert(out.end(), answer.begin(), answer.end());
  step_ = step::done;
  in_.clear();
  return st_ = state::refused;
}

server_handshake::state server_handshake::feed(std::span<const uint8_t> bytes,
                                               std::vector<uint8_t>& out) {
  if (st_ == state::refused)
    return st_;
  in_.insert(in_.end(), bytes.begin(), bytes.end());
  if (st_ == state::ready)
    return st_;
  // parsed first: a request with the application's first bytes behind it
  // in one piece (a client that does not wait for the reply) is a whole
  // handshake and its leftover; only a handshake still incomplete past
  // max_bytes is too long (no message of it is that long)
  auto r = advance(out);
  if (r == state::need_more && in_.size() > max_bytes)
    return refuse("handshake too long", out, {});
  return r;
}

server_handshake::state server_handshake::advance(std::vector<uint8_t>& out) {
  auto drop = [this](size_t n) { in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(n)); };
  if (step_ == step::greeting) {
    auto g = parse_greeting(in_);
    if (!g)
      return refuse(describe(g.error()), out, {});
    if (!*g)
      return st_;
    drop((*g)->consumed);
    auto want = passcode_.empty() ? method::no_auth : method::user_pass;
    if (!(*g)->value.offers(want))
      return refuse("no acceptable authentication method", out,
                    encode_method_choice(method::none_acceptable));
    auto r = encode_method_choice(want);
    out.insert(out.end(), r.begin(), r.end());
    step_ = passcode_.empty() ? step::request : step::auth;
  }
  if (step_ == step::auth) {
    auto c = parse_credentials(in_);
    if (!c)
      return refuse(describe(c.error()), out, encode_auth_status(false));
    if (!*c)
      return st_;
    drop((*c)->consumed);
    auto& cred = (*c)->value;
    if (cred.user != passcode_ && cred.password != passcode_)
      return refuse("wrong credentials", out, encode_auth_status(false));
    auto r = encode_auth_status(true);
    out.insert(out.end(), r.begin(), r.end());
    step_ = step::request;
  }
  if (step_ == step::request) {
    auto q = parse_request(in_);
    if (!q) {
      bool atyp = q.error().category() == wire_category()
                  && q.error().code() == static_cast<uint8_t>(wire_errc::unsupported);
      return refuse(describe(q.error()), out,
                    encode_reply(atyp ? reply_code::address_type_not_supported
                                      : reply_code::general_failure));
    }
    if (!*q)
      return st_;
    drop((*q)->consumed);
    req_ = (*q)->value;
    if (req_.cmd != command::connect)
      return refuse("command not supported", out, encode_reply(reply_code::command_not_supported));
    step_ = step::done;
    return st_ = state::ready;
  }
  return st_;
}

} // namespace skywire::wire::socks5
