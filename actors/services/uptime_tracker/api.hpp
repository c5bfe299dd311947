// The uptime tracker's HTTP API as a plain class: request in, response out
// (the actor, service.hpp, owns one; tests drive it directly).
//
// Reference: skywire-protocol.md §1.12 (API), §1.4 (httpauth). How uptime is
// counted (five-minute slots; the daily figure is the mean of the slot
// timeline) is in store.hpp; what differs from the reference is in
// docs/protocol/uptime-tracker.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/ip/address.hpp>

#include "actors/services/httpauth_guard.hpp"
#include "actors/services/source_budget.hpp"
#include "actors/services/uptime_tracker/store.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services::uptime_tracker {

enum class ut_op : uint8_t {
  update,   ///< GET /v4/update?version=V             httpauth: one heartbeat
  gone,     ///< GET /update, /v2/update, /v3/update   410 Gone
  uptimes,  ///< GET /uptimes[?v=v2][&visors=..][&status=on|off][&startDate=&endDate=]  rate-limited
  uptime,   ///< GET /uptime/{pk}
  timeline, ///< GET /uptime/{pk}/timeline[?date=YYYY-MM-DD]  (ours: the day's 288 slots)
  visors,   ///< GET /visors                           rate-limited
  nonce,    ///< GET /security/nonces/{pk}
  health,   ///< GET /health
  metrics,  ///< GET /metrics (ours)
};

struct ut_config {
  std::string host = "127.0.0.1";
  uint16_t port = 9096; ///< 0 = ephemeral
  std::chrono::nanoseconds sweep_interval = std::chrono::minutes{1};
  size_t max_visors = 200'000;
  size_t retention_days = 8;
  /// /uptimes and /visors: `list_burst` requests at once per source, then
  /// `list_per_minute` (the reference: 5 a minute per IP).
  size_t list_burst = 5;
  double list_per_minute = 5;
  /// New keys a source may bring (heartbeats of keys the tracker holds no
  /// nonce for): `new_burst`, then `new_per_minute`.
  size_t new_burst = 256;
  double new_per_minute = 60;
  size_t max_sources_tracked = 100'000;
  size_t max_nonce_keys = 400'000;
  size_t max_visor_filter = 1000; ///< keys in ?visors=
  size_t max_connections = 4096;
  bool test_mode = false; ///< loopback and private caller IPs are recorded too
  std::string version = "skywire-cpp 0.1.0";
  std::string dmsg_address; ///< "<pk>:<port>" in /health when served over dmsg too
  std::function<int64_t()> clock; ///< unix ns; default: the system clock
  /// The location of an IP for /visors (the reference asks a geo-IP
  /// service); without one /visors lists nothing.
  std::function<std::optional<std::pair<double, double>>(const std::string& ip)> locate;
};

class ut_api {
public:
  explicit ut_api(ut_config cfg);

  http::response handle(ut_op op, const http::request& req);

  /// Forgets old days and silent visors, and refilled budgets.
  size_t sweep();

  void set_metrics_source(std::function<std::string()> f) { extra_metrics_ = std::move(f); }

  uptime_store& store() noexcept { return store_; }
  const ut_config& config() const noexcept { return cfg_; }

private:
  int64_t now() const;
  http::response update(const http::request& req, const public_key& caller, int64_t t);
  http::response uptimes(const http::request& req);
  http::response uptime(const http::request& req);
  http::response timeline(const http::request& req);
  http::response visors(const http::request& req);
  http::response metrics();
  /// 429 "Too Many Requests" unless the request's source may list now.
  std::optional<http::response> list_limited(const http::request& req);

  ut_config cfg_;
  uptime_store store_;
  httpauth_guard guard_;
  source_budget new_keys_;
  source_budget lists_;
  int64_t started_at_;
  std::function<std::string()> extra_metrics_;
  struct counters {
    uint64_t heartbeats = 0;
    uint64_t credited = 0;
    uint64_t refused = 0;
    uint64_t rate_limited = 0;
    uint64_t auth_refused = 0;
  } n_;
};

} // namespace skywire::services::uptime_tracker
