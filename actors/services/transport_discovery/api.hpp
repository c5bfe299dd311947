// The transport discovery's HTTP API as a plain class: request in, response
// out. No threads, no sockets: the actor (service.hpp) owns one and feeds it
// the requests the HTTP server routes to it; tests drive it directly.
//
// Reference: skywire-protocol.md §1.7 (API), §1.4 (httpauth), §3.7 (entries).
// What we add (both signatures verified, expiry, bounds, per-source limits)
// is in docs/protocol/transport-discovery.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/services/httpauth_guard.hpp"
#include "actors/services/source_budget.hpp"
#include "actors/services/transport_discovery/store.hpp"
#include "messages/ids.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services::transport_discovery {

/// The endpoints; the HTTP routes map onto these.
enum class tpd_op : uint8_t {
  register_transports, ///< POST   /transports/            httpauth
  get_transport,       ///< GET    /transports/{key}       httpauth; key = id:<uuid> | edge:<pk>
  delete_transport,    ///< DELETE /transports/{key}       httpauth; key = id:<uuid>, caller an edge
  all_transports,      ///< GET    /all-transports         (paginated: ?offset=&limit=)
  deregister,          ///< DELETE /transports/deregister  network monitor (NM-PK, NM-Sign)
  statuses,            ///< POST   /statuses               410 Gone (legacy)
  nonce,               ///< GET    /security/nonces/{pk}
  health,              ///< GET    /health
  metrics,             ///< GET    /metrics (ours: Prometheus text)
};

struct tpd_config {
  std::string host = "127.0.0.1";
  uint16_t port = 9091; ///< 0 = ephemeral
  /// A transport expires unless re-registered within this (0 = never, as the
  /// reference, which keeps entries until an edge or a network monitor
  /// deletes them).
  std::chrono::nanoseconds entry_ttl = std::chrono::minutes{10};
  std::chrono::nanoseconds sweep_interval = std::chrono::seconds{10};
  size_t max_entries = 1'000'000; ///< transports stored (503 beyond)
  size_t max_per_edge = 1024;     ///< transports one key may be an edge of (422 beyond)
  size_t max_entries_per_post = 64;
  /// Each request from a key without a nonce of its own and each new
  /// transport ID registered costs its source one token: `new_burst` at
  /// once, then `new_per_minute` (429 beyond; 0 burst = no limit).
  size_t new_burst = 256;
  double new_per_minute = 60;
  size_t max_sources_tracked = 100'000;
  size_t max_nonce_keys = 200'000; ///< httpauth nonces kept (least recently used forgotten)
  size_t page_limit = 10'000;      ///< entries per /all-transports page
  size_t max_body = 64 * 1024;     ///< bytes of a POST/DELETE body
  size_t max_connections = 4096;
  std::vector<public_key> whitelist; ///< network monitors allowed to deregister
  std::string version = "skywire-cpp 0.1.0";
  /// "<pk>:<port>" when the API is served over dmsg too (/health says it).
  std::string dmsg_address;
  /// Unix time in ns; default: the system clock. Tests inject their own.
  std::function<int64_t()> clock;
};

class tpd_api {
public:
  tpd_api(tpd_config cfg, std::unique_ptr<transport_store> store);

  /// Handles one routed request.
  http::response handle(tpd_op op, const http::request& req);

  /// Drops expired entries and refilled budgets (the actor calls it every
  /// sweep_interval); returns how many entries expired.
  size_t sweep();

  /// Extra Prometheus text appended by /metrics (e.g. the HTTP server's).
  void set_metrics_source(std::function<std::string()> f) { extra_metrics_ = std::move(f); }

  transport_store& store() noexcept { return *store_; }
  const httpauth_guard& auth() const noexcept { return guard_; }
  const tpd_config& config() const noexcept { return cfg_; }

private:
  int64_t now() const;
  /// httpauth, then `fn(caller, now)`; the caller's nonce advances on 2xx.
  template <class F>
  http::response authenticated(const http::request& req, F&& fn);
  http::response rate_limited(const std::string& source);
  http::response register_transports(const http::request& req, const public_key& caller, int64_t t);
  /// The live record of a "<uuid>" text, or 400 transport ID is invalid /
  /// 404 transport not found.
  expected<transport_store::record> lookup(std::string_view id_text, int64_t t) const;
  http::response get_transport(const http::request& req);
  http::response delete_transport(const http::request& req);
  http::response all_transports(const http::request& req);
  http::response deregister(const http::request& req);
  http::response nonce(const http::request& req);
  http::response health();
  http::response metrics();

  tpd_config cfg_;
  std::unique_ptr<transport_store> store_;
  httpauth_guard guard_;
  source_budget budget_;
  int64_t started_at_;
  std::function<std::string()> extra_metrics_;
  struct counters {
    uint64_t registered = 0;   ///< entries stored or refreshed
    uint64_t refused = 0;      ///< registrations refused (any reason but auth)
    uint64_t forged = 0;       ///< of which: a signature that does not verify
    uint64_t rate_limited = 0; ///< requests refused with 429
    uint64_t auth_refused = 0; ///< httpauth refusals (401)
    uint64_t deleted = 0;      ///< by an edge
    uint64_t deregistered = 0; ///< by a network monitor
    uint64_t expired = 0;
  } n_;
};

} // namespace skywire::services::transport_discovery
