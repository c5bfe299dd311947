// The service discovery's HTTP API as a plain class: request in, response
// out. No threads, no sockets: the actor (service.hpp) owns one and feeds it
// the requests the HTTP server routes to it; tests drive it directly.
//
// Reference: skywire-protocol.md §1.10 (API), §1.4 (httpauth), §5.3. What we
// add (expiry, bounds, per-source limits, bounded lists) is in
// docs/protocol/service-discovery.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "actors/services/httpauth_guard.hpp"
#include "actors/services/service_discovery/store.hpp"
#include "actors/services/source_budget.hpp"
#include "messages/ids.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services::service_discovery {

/// The endpoints; the HTTP routes map onto these.
enum class sd_op : uint8_t {
  list,       ///< GET    /api/services?type=T[&version=V][&country=CC][&quantity=N]
  get_one,    ///< GET    /api/services/{addr}?type=T
  register_,  ///< POST   /api/services                  httpauth
  remove,     ///< DELETE /api/services/{addr}?type=T    httpauth
  deregister, ///< DELETE /api/services/deregister/{type} network monitor (NM-PK, NM-Sign)
  nonce,      ///< GET    /security/nonces/{pk}
  health,     ///< GET    /health
  metrics,    ///< GET    /metrics (ours: Prometheus text)
};

struct sd_config {
  std::string host = "127.0.0.1";
  uint16_t port = 9098; ///< 0 = ephemeral
  /// An entry expires unless registered again within this (0 = never, as
  /// the reference). Registrants refresh every ttl/3 or more often.
  std::chrono::nanoseconds entry_ttl = std::chrono::minutes{15};
  std::chrono::nanoseconds sweep_interval = std::chrono::seconds{10};
  size_t max_entries = 100'000; ///< services stored (503 beyond)
  size_t max_per_key = 16;      ///< services one key may hold (422 beyond)
  /// Each request from a key without a nonce of its own and each new
  /// service registered costs its source one token: `new_burst` at once,
  /// then `new_per_minute` (429 beyond; 0 burst = no limit).
  size_t new_burst = 64;
  double new_per_minute = 30;
  size_t max_sources_tracked = 100'000;
  size_t max_nonce_keys = 200'000;
  /// Entries in one list answer: a longer match is answered with a random
  /// sample of this many (X-Total-Count tells how many matched).
  size_t list_limit = 1000;
  size_t max_body = 16 * 1024; ///< bytes of a POST/DELETE body
  size_t max_connections = 4096;
  /// Test mode: a `visor` registration from a loopback or private address
  /// is accepted (the reference requires the caller's IP in local_ips,
  /// which we require too; this only lifts our "public IP" rule).
  bool test_mode = false;
  std::vector<public_key> whitelist; ///< network monitors allowed to deregister
  std::string version = "skywire-cpp 0.1.0";
  std::string dmsg_address; ///< "<pk>:<port>" in /health when served over dmsg too
  std::function<int64_t()> clock; ///< unix ns; default: the system clock
  uint64_t seed = 0;              ///< of the sampling; 0 = random
};

class sd_api {
public:
  sd_api(sd_config cfg);

  http::response handle(sd_op op, const http::request& req);

  /// Drops expired entries and refilled budgets; returns how many expired.
  size_t sweep();

  void set_metrics_source(std::function<std::string()> f) { extra_metrics_ = std::move(f); }

  service_store& store() noexcept { return store_; }
  const sd_config& config() const noexcept { return cfg_; }

private:
  int64_t now() const;
  template <class F>
  http::response authenticated(const http::request& req, F&& fn);
  http::response rate_limited(const std::string& source);
  http::response list(const http::request& req);
  http::response get_one(const http::request& req);
  http::response register_service(const http::request& req, const public_key& caller, int64_t t);
  http::response remove_service(const http::request& req, const public_key& caller, int64_t t);
  http::response deregister(const http::request& req);
  http::response metrics();

  sd_config cfg_;
  service_store store_;
  httpauth_guard guard_;
  source_budget budget_;
  std::mt19937_64 rng_;
  int64_t started_at_;
  std::function<std::string()> extra_metrics_;
  struct counters {
    uint64_t registered = 0;
    uint64_t refused = 0;
    uint64_t rate_limited = 0;
    uint64_t auth_refused = 0;
    uint64_t deleted = 0;
    uint64_t deregistered = 0;
    uint64_t expired = 0;
  } n_;
};

} // namespace skywire::services::service_discovery
