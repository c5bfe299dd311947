// The address resolver's HTTP API as a plain class: request in, response
// out, plus the bindings the sudph side reports. No threads, no sockets: the
// actor (service.hpp) owns one and feeds it the requests the HTTP server
// routes to it and the sudph channel events; tests drive it directly.
//
// Reference: skywire-protocol.md §1.11 (API), §1.4 (httpauth), §3.5-3.6.
// What we add (the address policy, expiry, bounds, per-source limits) is in
// docs/protocol/address-resolver.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "actors/services/address_resolver/address_policy.hpp"
#include "actors/services/address_resolver/store.hpp"
#include "actors/services/httpauth_guard.hpp"
#include "actors/services/source_budget.hpp"
#include "messages/ids.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services::address_resolver {

/// The endpoints; the HTTP routes map onto these.
enum class ar_op : uint8_t {
  bind_stcpr,   ///< POST   /bind/stcpr              httpauth
  unbind_stcpr, ///< DELETE /bind/stcpr              httpauth
  resolve,      ///< GET    /resolve/{type}/{pk}     httpauth
  transports,   ///< GET    /transports              (paginated: ?offset=&limit=)
  deregister,   ///< DELETE /deregister/{network}    network monitor (NM-PK, NM-Sign)
  nonce,        ///< GET    /security/nonces/{pk}
  health,       ///< GET    /health
  metrics,      ///< GET    /metrics (ours: Prometheus text)
};

/// What the API asks of the sudph side (the channel table on its shard).
class sudph_control {
public:
  virtual ~sudph_control() = default;
  /// Queue `message` on the bound channel `channel` of `pk` (best effort).
  virtual void push(const public_key& pk, uint64_t channel, std::string message) = 0;
  /// Drop that channel (its binding was refused).
  virtual void drop(const public_key& pk, uint64_t channel) = 0;
};

struct ar_config {
  std::string host = "127.0.0.1";
  uint16_t port = 9093; ///< 0 = ephemeral
  /// UDP listen addresses of the sudph side ("host", port; port 0 =
  /// ephemeral). Empty: no sudph side. `skywire svc ar` listens on the HTTP
  /// port and on 30178 (the port visors use when the URL names none).
  std::vector<std::pair<std::string, uint16_t>> udp;
  /// Test mode: every usable address counts as public (loopback tests, LAN
  /// deployments); see address_policy.hpp.
  bool test_mode = false;
  /// A stcpr binding expires unless re-bound within this (0 = never, as the
  /// reference snapshot; newer Go visors re-bind every 90 s to 5 min).
  /// sudph bindings live as long as their channel.
  std::chrono::nanoseconds entry_ttl = std::chrono::minutes{11};
  std::chrono::nanoseconds sweep_interval = std::chrono::seconds{10};
  size_t max_bindings = 1'000'000; ///< per type (503 beyond)
  size_t max_per_source = 64;      ///< bindings per type one source address may hold (429 beyond)
  /// Each request from a key without a nonce of its own and each new stcpr
  /// binding costs its source one token: `new_burst` at once, then
  /// `new_per_minute` (429 beyond; 0 burst = no limit).
  size_t new_burst = 256;
  double new_per_minute = 60;
  size_t max_sources_tracked = 100'000;
  size_t max_nonce_keys = 200'000;
  size_t page_limit = 10'000; ///< keys per type per /transports page
  size_t max_body = 8 * 1024; ///< bytes of a POST/DELETE body
  size_t max_connections = 4096;
  std::vector<public_key> whitelist; ///< network monitors allowed to deregister
  std::string version = "skywire-cpp 0.1.0";
  /// "<pk>:<port>" when the API is served over dmsg too (/health says it).
  std::string dmsg_address;
  /// Unix time in ns; default: the system clock. Tests inject their own.
  std::function<int64_t()> clock;
};

class ar_api {
public:
  ar_api(ar_config cfg, std::unique_ptr<binding_store> store);

  /// Handles one routed request.
  http::response handle(ar_op op, const http::request& req);

  /// A sudph channel's bind message (first or later). False when the store
  /// refused it: the channel is to be dropped (the API asks the sudph side).
  bool sudph_bound(const public_key& pk, const wire::transport::visor_data& data,
                   const boost::asio::ip::address& observed, uint64_t channel);
  /// A bound sudph channel ended: its binding goes (if it is still that
  /// channel's).
  void sudph_unbound(const public_key& pk, uint64_t channel);

  /// Drops expired bindings and refilled budgets (every sweep_interval);
  /// returns how many bindings expired.
  size_t sweep();

  /// Set before the service starts (not thread-safe).
  void set_sudph(std::shared_ptr<sudph_control> s) { sudph_ = std::move(s); }
  void set_sudph_metrics(std::function<std::string()> f) { sudph_metrics_ = std::move(f); }
  /// Extra Prometheus text appended by /metrics (the HTTP server's, the
  /// sudph side's).
  void set_metrics_source(std::function<std::string()> f) { extra_metrics_ = std::move(f); }

  binding_store& store() noexcept { return *store_; }
  const httpauth_guard& auth() const noexcept { return guard_; }
  const ar_config& config() const noexcept { return cfg_; }
  const address_policy& policy() const noexcept { return policy_; }

private:
  int64_t now() const;
  template <class F>
  http::response authenticated(const http::request& req, F&& fn);
  http::response rate_limited(const std::string& source);
  http::response bind_stcpr(const http::request& req, const public_key& caller, int64_t t);
  http::response resolve(const http::request& req, const public_key& caller, int64_t t);
  void push_to(const binding& receiver, const public_key& receiver_pk, const public_key& caller,
               int64_t t);
  http::response transports(const http::request& req);
  http::response deregister(const http::request& req);
  http::response nonce(const http::request& req);
  http::response health();
  http::response metrics();

  ar_config cfg_;
  address_policy policy_;
  std::unique_ptr<binding_store> store_;
  httpauth_guard guard_;
  source_budget budget_;
  int64_t started_at_;
  std::shared_ptr<sudph_control> sudph_;
  std::function<std::string()> extra_metrics_;
  std::function<std::string()> sudph_metrics_;
  struct counters {
    uint64_t stcpr_binds = 0;      ///< stored or refreshed
    uint64_t stcpr_refused = 0;    ///< refused (policy, bad input, bounds)
    uint64_t stcpr_unbinds = 0;
    uint64_t sudph_binds = 0;
    uint64_t sudph_refused = 0;    ///< refused by the store's bounds
    uint64_t sudph_unbinds = 0;
    uint64_t resolves = 0;         ///< answered 200
    uint64_t not_found = 0;        ///< no binding
    uint64_t hidden = 0;           ///< a binding the policy keeps from the caller
    uint64_t pushes = 0;           ///< asked of the sudph side
    uint64_t pushes_withheld = 0;  ///< the caller's address is not for the receiver
    uint64_t pushes_unbound = 0;   ///< the caller has no sudph binding to push
    uint64_t rate_limited = 0;
    uint64_t auth_refused = 0;
    uint64_t deregistered = 0;
    uint64_t expired = 0;
  } n_;
};

} // namespace skywire::services::address_resolver
