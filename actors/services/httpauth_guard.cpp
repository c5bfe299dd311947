#include "actors/services/httpauth_guard.hpp"

#include <algorithm>
#include <utility>

#include "runtime/crypto/keys.hpp"
#include "runtime/io/address_scope.hpp"

namespace skywire::services {

namespace {

caf::error auth_error(std::string text) {
  return make_error(wire_errc::bad_value, std::move(text));
}

/// The context text a wire error was built with ("SW-Nonce: leading zeros").
std::string context_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (!ctx.empty() && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return describe(err);
}

} // namespace

boost::asio::ip::address requester_of(const http::request& req) {
  if (auto a = io::parse_host(req.remote))
    return *a;
  if (auto h = req.header(wire::httpauth_header_public_ip))
    if (auto a = io::parse_host(*h))
      return *a;
  return boost::asio::ip::address{boost::asio::ip::address_v4{}};
}

http::response nonce_reply(const httpauth_guard& guard, const http::request& req) {
  auto reply_error = [](std::string message) {
    return http::make_response(400, wire::encode_httpauth_error({std::move(message), 400}));
  };
  auto pk = public_key::from_hex(req.param("pk"));
  if (!pk)
    return reply_error(describe(pk.error()));
  if (pk->is_null())
    return reply_error("Invalid public key");
  return http::make_response(200, wire::encode_nonce_response({*pk, guard.next_nonce(*pk)}));
}

std::string httpauth_message(const caf::error& err) {
  return context_of(err);
}

http::response httpauth_refusal(const caf::error& err) {
  return http::make_response(401, wire::encode_httpauth_error({httpauth_message(err), 401}));
}

uint64_t httpauth_guard::next_nonce(const public_key& pk) const {
  auto it = keys_.find(pk);
  return it == keys_.end() ? floor_ : it->second.nonce;
}

expected<wire::httpauth_headers> httpauth_guard::check_headers(const http::request& req) const {
  wire::httpauth_raw_headers raw;
  raw.pk = req.header(wire::httpauth_header_public);
  raw.nonce = req.header(wire::httpauth_header_nonce);
  raw.sig = req.header(wire::httpauth_header_sig);
  raw.public_ip = req.header(wire::httpauth_header_public_ip);
  // The reference's order and wording: SW-Public, SW-Sig, SW-Nonce.
  for (auto [value, name] : {std::pair{raw.pk, wire::httpauth_header_public},
                             std::pair{raw.sig, wire::httpauth_header_sig},
                             std::pair{raw.nonce, wire::httpauth_header_nonce}})
    if (!value || value->empty())
      return auth_error(std::string{name} + " missing");
  auto h = wire::parse_httpauth_headers(raw);
  if (!h) // "SW-Nonce: leading zeros" -> "error parsing SW-Nonce: leading zeros"
    return auth_error("error parsing " + context_of(h.error()));
  if (h->nonce != next_nonce(h->pk))
    return auth_error(std::string{wire::httpauth_nonce_mismatch});
  return std::move(*h);
}

caf::error httpauth_guard::check_signature(const wire::httpauth_headers& h,
                                           std::string_view body) const {
  auto payload = wire::httpauth_payload(body, h.nonce);
  if (auto err = crypto::verify(payload, h.pk, h.sig))
    return auth_error("invalid signature: SW-Sig does not verify for SW-Public over the body "
                      "and SW-Nonce");
  return {};
}

expected<public_key> httpauth_guard::authenticate(const http::request& req) const {
  auto h = check_headers(req);
  if (!h)
    return std::move(h.error());
  if (auto err = check_signature(*h, req.body))
    return err;
  return h->pk;
}

void httpauth_guard::consume(const public_key& pk) {
  auto it = keys_.find(pk);
  if (it != keys_.end()) {
    ++it->second.nonce;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  auto start = floor_ + 1; // past the nonce this request carried
  if (keys_.size() >= max_keys_) {
    auto victim = keys_.find(lru_.back());
    floor_ = std::max(floor_, victim->second.nonce);
    keys_.erase(victim);
    lru_.pop_back();
    ++forgotten_;
  }
  lru_.push_front(pk);
  keys_.emplace(pk, record{start, lru_.begin()});
}

} // namespace skywire::services
