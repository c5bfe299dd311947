// The visor's client of the transport discovery (reference §1.7; Go:
// pkg/transport/tpdclient): register doubly signed entries, look them up by
// transport ID or by edge, deregister, health. Every request but /health is
// httpauth-signed (httpauth_client.hpp: nonce fetch, one re-fetch and retry
// on a nonce 401, requests one at a time).
//
// Async on the io runtime like dmsg::discovery_client: each call issues its
// requests with finite deadlines and calls its callback exactly once, on an
// I/O thread (an actor forwards the result to itself); a call refused before
// anything is sent (bad argument, full queue, nothing to register) calls
// back at once, on the caller's thread. Answers are bounded
// (an entry 4 KiB, a list 4096 entries) and checked: an entry whose t_id is
// not the one its edges and type derive, or that is not the one asked for,
// is a bad_response. Failures are client_errors.hpp values carrying the HTTP
// status and the discovery's own text (e.g. 403 "… does not verify").
#pragma once

#include <chrono>
#include <functional>
#include <string_view>
#include <vector>

#include "actors/transport/client_errors.hpp"
#include "actors/transport/httpauth_client.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/health.hpp"
#include "messages/wire/transport/entry.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::transport {

inline constexpr std::string_view tpd_service_name = "transport discovery";

class tpd_client {
public:
  using done_callback = std::function<void(caf::error)>;
  using entry_callback = std::function<void(expected<wire::transport::entry>)>;
  using list_callback = std::function<void(expected<std::vector<wire::transport::entry>>)>;
  using health_callback = std::function<void(expected<wire::health_response>)>;

  /// `base_url` as in the config's transport.discovery ("http://127.0.0.1:9091").
  static expected<tpd_client> make(io::io_runtime& io, std::string_view base_url,
                                   const public_key& pk, const secret_key& sk,
                                   httpauth_client::options opts = {});

  /// POST /transports/ with the entries (JSON array + "\n", as the Go client
  /// sends it). Success is 201 (or 200). Our discovery refuses an entry that
  /// is not signed by both edges, whose signatures do not verify (403) or
  /// whose caller is no edge; the reference stores them unchecked. At most
  /// 64 entries per call (invalid_argument beyond: our discovery's bound).
  void register_transports(std::vector<wire::transport::signed_entry> entries,
                           done_callback cb) const;

  /// GET /transports/id:{uuid}. 404 -> client_errc::not_found.
  void get_by_id(const transport_id& id, entry_callback cb) const;

  /// GET /transports/edge:{pk}: every transport with pk as an edge ([] or
  /// null when none; a 404, which the reference's memory store answers for
  /// none, is an empty list too).
  void get_by_edge(const public_key& pk, list_callback cb) const;

  /// DELETE /transports/id:{uuid}; the caller must be an edge. 404 ->
  /// client_errc::not_found (the reference's visor counts that as done).
  void deregister(const transport_id& id, done_callback cb) const;

  /// GET /health (unsigned).
  void health(health_callback cb) const;

  const httpauth_client& auth() const noexcept { return http_; }

private:
  explicit tpd_client(httpauth_client c) : http_(std::move(c)) {}
  httpauth_client http_;
};

/// The most entries one register_transports call posts.
inline constexpr size_t tpd_max_entries_per_post = 64;

} // namespace skywire::transport
