// Where the route finder's graph comes from, kept apart from the graph class
// (graph.hpp) and the API (api.hpp):
//
//  * graph_source: the seam. current() is the latest graph (shared, immutable;
//    null until one is built), refresh() asks for a newer one without
//    waiting. Thread-safe: the API reads it on its actor, refreshes complete
//    on I/O threads.
//  * fixed_graph_source: a graph given by the caller (tests, benches).
//  * tpd_graph_source: the transport discovery's listing, paged through
//    GET /all-transports?offset=&limit= (our TPD pages it, X-Next-Offset;
//    the reference's answers everything at once, without the header), strict
//    and bounded (max_entries transports in all, else the refresh fails and
//    the previous graph stays). The requests go through an
//    http::client_sender, so one source serves every deployment:
//      - its own process (`skywire svc rf --tpd URL`): tcp_sender() (HTTP),
//        or a dmsghttp sender for a dmsg:// URL;
//      - one process with the TPD (embedded): in_process_tpd_sender(), which
//        hands the request to the TPD's actor as the HTTP server would (same
//        handler, no socket, no data race on the store).
//    At most one refresh runs at a time; a refresh asked for meanwhile is
//    not queued (the running one is at most that old).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>

#include "actors/services/route_finder/graph.hpp"
#include "runtime/http/client.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services::route_finder {

class graph_source {
public:
  virtual ~graph_source() = default;
  /// The latest graph; null before the first one is built.
  virtual std::shared_ptr<const graph> current() const = 0;
  /// Starts building a newer graph unless one is being built (no waiting).
  virtual void refresh() = 0;
  /// Prometheus lines about the source ("" by default).
  virtual std::string metrics_text() const { return {}; }
};

class fixed_graph_source final : public graph_source {
public:
  explicit fixed_graph_source(graph g) : g_(std::make_shared<const graph>(std::move(g))) {}
  std::shared_ptr<const graph> current() const override { return g_; }
  void refresh() override {}

private:
  std::shared_ptr<const graph> g_;
};

struct tpd_source_config {
  std::string tpd_url = "http://127.0.0.1:9091"; ///< base URL (a path prefix is kept)
  size_t page_limit = 10'000;                    ///< entries asked per page
  size_t max_entries = 1'000'000;                ///< transports in all, else the refresh fails
  std::chrono::milliseconds timeout{10'000};     ///< per page
};

class tpd_graph_source final : public graph_source,
                               public std::enable_shared_from_this<tpd_graph_source> {
public:
  /// Fails on a URL client_sender cannot parse.
  static expected<std::shared_ptr<tpd_graph_source>> make(http::client_sender send,
                                                          tpd_source_config cfg);

  std::shared_ptr<const graph> current() const override;
  void refresh() override;
  std::string metrics_text() const override;

  /// Calls `done` (on the thread that completes the refresh) after the next
  /// refresh completes, starting one if none runs (tests and start-up).
  void refresh_then(std::function<void(const caf::error&)> done);

  struct stats {
    uint64_t refreshes = 0; ///< completed, a graph built
    uint64_t failures = 0;  ///< failed, the previous graph kept
    std::string last_error;
    int64_t built_ns = 0; ///< steady clock of the current graph's build
  };
  stats status() const;

  /// Use make().
  tpd_graph_source(http::client_sender send, tpd_source_config cfg, http::url base);

private:
  struct run;
  void page(std::shared_ptr<run> r);
  void finish(std::shared_ptr<run> r, caf::error err);

  http::client_sender send_;
  tpd_source_config cfg_;
  http::url base_;
  mutable std::mutex mtx_;
  std::shared_ptr<const graph> g_;
  bool running_ = false;
  std::vector<std::function<void(const caf::error&)>> waiting_;
  stats st_;
};

/// HTTP over TCP on `io` (runtime/http async_request).
http::client_sender tcp_sender(io::io_runtime& io);

/// GET /all-transports handed to a transport discovery's actor in this
/// process (transport_discovery/service.hpp); any other request fails.
http::client_sender in_process_tpd_sender(caf::actor tpd);

} // namespace skywire::services::route_finder
