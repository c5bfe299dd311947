// The dmsg discovery's HTTP API as a plain class: request in, response out.
// No threads, no sockets: the actor (dmsg_discovery.hpp) owns one and feeds it
// the requests that the HTTP server routes to it; tests drive it directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/services/discovery_store.hpp"
#include "actors/services/dmsg_discovery_rules.hpp"
#include "actors/services/service_clock.hpp"
#include "actors/services/source_budget.hpp"
#include "messages/ids.hpp"
#include "runtime/http/message.hpp"

namespace skywire::services {

/// The endpoints (dmsg-protocol.md §4); the HTTP routes map onto these.
enum class discovery_op : uint8_t {
  get_entry,         ///< GET    /dmsg-discovery/entry/{pk}
  post_entry,        ///< POST   /dmsg-discovery/entry/  and /entry/{pk}
  delete_entry,      ///< DELETE /dmsg-discovery/entry
  entries,           ///< GET    /dmsg-discovery/entries
  visor_entries,     ///< GET    /dmsg-discovery/visorEntries
  available_servers, ///< GET    /dmsg-discovery/available_servers
  all_servers,       ///< GET    /dmsg-discovery/all_servers
  deregister,        ///< DELETE /dmsg-discovery/deregister
  health,            ///< GET    /health
  metrics,           ///< GET    /metrics (ours: Prometheus text)
};

struct dmsg_discovery_config {
  std::string host = "127.0.0.1";
  uint16_t port = 9090; ///< 0 = ephemeral
  bool test_mode = false;
  std::chrono::nanoseconds server_ttl = std::chrono::minutes{2};
  std::chrono::nanoseconds legacy_timeout_ttl = std::chrono::minutes{3}; ///< ?timeout=true
  /// Client entries expire unless re-posted within this (0 = never, as the
  /// reference's Redis store without ?timeout=true). Our clients re-post
  /// every dmsg::client_config::entry_refresh (2 min).
  std::chrono::nanoseconds client_ttl = std::chrono::minutes{10};
  /// New keys one source address may register: a burst, then a steady rate
  /// (updates of a key already stored are not counted). Beyond: 429.
  size_t new_keys_burst = 256;
  double new_keys_per_minute = 60;
  size_t max_sources_tracked = 100'000; ///< rate-limit buckets kept (then 429 for new sources)
  /// GET /entries and /visorEntries return at most this many keys per page
  /// (?offset=N&limit=M; headers X-Total-Count and X-Next-Offset).
  size_t entries_page_limit = 10'000;
  std::chrono::nanoseconds sweep_interval = std::chrono::seconds{10};
  std::chrono::nanoseconds max_age = std::chrono::minutes{1};
  std::chrono::nanoseconds max_ahead = std::chrono::seconds{5};
  size_t max_entries = 1'000'000;
  size_t max_body = 64 * 1024;      ///< bytes of a POST/DELETE body
  size_t available_limit = 512;
  size_t max_connections = 4096;
  std::vector<public_key> whitelist; ///< network monitors allowed to deregister
  std::string version = "skywire-cpp 0.1.0";
  /// "<pk>:<port>" when the API is served over dmsg too (/health says it).
  std::string dmsg_address;
  /// Unix time in ns; default: the system clock. Tests inject their own.
  std::function<int64_t()> clock;
};

class dmsg_discovery_api {
public:
  dmsg_discovery_api(dmsg_discovery_config cfg, std::unique_ptr<discovery_store> store);

  /// Handles one routed request.
  http::response handle(discovery_op op, const http::request& req);

  /// Drops expired entries (the actor calls it every sweep_interval).
  size_t sweep();

  /// Extra Prometheus text appended by /metrics (e.g. the HTTP server's).
  void set_metrics_source(std::function<std::string()> f) { extra_metrics_ = std::move(f); }

  discovery_store& store() noexcept { return *store_; }
  const dmsg_discovery_config& config() const noexcept { return cfg_; }

private:
  int64_t now() const { return cfg_.clock ? cfg_.clock() : system_unix_ns(); }
  http::response get_entry(const http::request& req);
  http::response post_entry(const http::request& req);
  http::response delete_entry(const http::request& req);
  http::response key_list(bool visors_only, const http::request& req);
  http::response servers(bool available_only);
  http::response deregister(const http::request& req);
  http::response health();
  http::response metrics();

  dmsg_discovery_config cfg_;
  std::unique_ptr<discovery_store> store_;
  validation_config rules_;
  int64_t started_at_;
  uint64_t posts_accepted_ = 0;
  uint64_t posts_refused_ = 0;
  uint64_t swept_ = 0;
  uint64_t posts_rate_limited_ = 0;
  source_budget budget_; ///< new keys per source address
  std::function<std::string()> extra_metrics_;
};

/// The reference's reply body: {"message":"...","code":N}.
http::response message_response(unsigned status, std::string_view message);

} // namespace skywire::services
