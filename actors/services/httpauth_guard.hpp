// The server side of httpauth (reference §1.4), for every service that
// requires PK-signed requests (transport discovery now; address resolver,
// service discovery and uptime tracker later).
//
// A request carries SW-Public, SW-Nonce and SW-Sig; it is accepted when the
// nonce equals the key's current one and the signature recovers to the key
// over SHA-256(body || decimal(nonce)). After a 2xx answer the service calls
// consume() and the key's nonce advances, so the same signed request cannot
// be accepted twice. (The reference advances only on 200, so its 201 answers
// leave a request replayable; see docs/protocol/transport-discovery.md.)
//
// The nonce table is bounded: at `max_keys` keys the least recently used one
// is forgotten. A forgotten or never-seen key starts at the table's floor,
// which is raised to every forgotten key's nonce, so a key's old requests
// stay refused after it was forgotten. Clients learn the start from
// GET /security/nonces/{pk} (the Go client asks when it starts and again
// after a 401, then retries once).
//
// Plain class, not thread-safe (the service actor owns it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/httpauth.hpp"
#include "actors/services/source_budget.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services {

class httpauth_guard {
public:
  explicit httpauth_guard(size_t max_keys = 200'000) : max_keys_(max_keys ? max_keys : 1) {}

  /// The nonce the next request of `pk` must carry.
  uint64_t next_nonce(const public_key& pk) const;

  /// Whether the table holds a nonce of its own for `pk`.
  bool known(const public_key& pk) const { return keys_.count(pk) > 0; }

  /// The cheap checks: the three headers parse and SW-Nonce is the key's
  /// current nonce. The error's text is the reference's message
  /// ("SW-Public missing", "SW-Nonce does not match", ...).
  expected<wire::httpauth_headers> check_headers(const http::request& req) const;

  /// The signature of `h` over body || decimal(nonce). Error text as above.
  caf::error check_signature(const wire::httpauth_headers& h, std::string_view body) const;

  /// Both checks, in that order.
  expected<public_key> authenticate(const http::request& req) const;

  /// After a 2xx answer to a request of `pk`: its nonce advances (a new key
  /// is recorded, which may forget the least recently used one).
  void consume(const public_key& pk);

  size_t size() const noexcept { return keys_.size(); }
  uint64_t floor() const noexcept { return floor_; }
  uint64_t forgotten() const noexcept { return forgotten_; }

private:
  struct record {
    uint64_t nonce = 0;
    std::list<public_key>::iterator lru;
  };
  size_t max_keys_;
  uint64_t floor_ = 0;
  uint64_t forgotten_ = 0;
  std::list<public_key> lru_; ///< front = most recently used
  std::unordered_map<public_key, record> keys_;
};

/// The IP a request came from: its TCP peer (no X-Forwarded-For, and no
/// SW-PublicIP over plain HTTP); over dmsghttp, where the remote is a dmsg
/// address "<pk>:<port>", the SW-PublicIP header, as the reference reads it
/// (§1.4). 0.0.0.0 (unusable) if unreadable.
boost::asio::ip::address requester_of(const http::request& req);

/// GET /security/nonces/{pk}: 200 {"edge":pk,"next_nonce":n}, or 400 in
/// httpauth's error shape for a bad or null key.
http::response nonce_reply(const httpauth_guard& guard, const http::request& req);

/// The text of an httpauth error (its context string, or describe()).
std::string httpauth_message(const caf::error& err);

/// The reference's 401 reply: {"error":{"message":"..","code":401}} + "\n".
http::response httpauth_refusal(const caf::error& err);

/// The gate of a service's signed endpoints: the httpauth headers; for a key
/// the guard holds no nonce for, a token of its source (taken before any
/// signature is checked, so a flood of fresh keys costs no verification past
/// the budget); the signature; then fn(pk, now_ns). The key's nonce is used
/// up on any 2xx answer. refused() counts a 401; limited(source) answers 429.
template <class Refused, class Limited, class F>
http::response authenticate(httpauth_guard& guard, source_budget& budget, const http::request& req,
                            int64_t now_ns, Refused&& refused, Limited&& limited, F&& fn) {
  auto h = guard.check_headers(req);
  if (!h) {
    refused();
    return httpauth_refusal(h.error());
  }
  if (!guard.known(h->pk)) {
    auto source = source_of(req.remote);
    if (!budget.take(source, 1, now_ns))
      return limited(source);
  }
  if (auto err = guard.check_signature(*h, req.body)) {
    refused();
    return httpauth_refusal(err);
  }
  auto r = fn(h->pk, now_ns);
  if (r.status >= 200 && r.status < 300)
    guard.consume(h->pk);
  return r;
}

} // namespace skywire::services
