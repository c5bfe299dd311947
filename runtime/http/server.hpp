// HTTP/1.1 server on Boost.Beast over the process's Asio loop.
//
// One listener; one session per connection with keep-alive; requests on a
// connection are handled one at a time (pipelined bytes wait in the buffer).
// Hard limits: header size (431), body size per route (413), read/write and
// handler timeouts, a maximum number of concurrent connections (503 beyond).
// A bad request only ever affects its own connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "messages/error.hpp"
#include "runtime/http/message.hpp"
#include "runtime/http/router.hpp"
#include "runtime/io/admission.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::http {

struct server_config {
  std::string host = "127.0.0.1"; ///< numeric address, "localhost", or "" for all interfaces
  uint16_t port = 0;              ///< 0 = ephemeral; start() reports the bound port
  size_t header_limit = 8 * 1024;
  size_t default_body_limit = 1 << 20; ///< for requests that match no route
  std::chrono::milliseconds read_timeout{10'000};    ///< whole request, incl. keep-alive idle
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds handler_timeout{10'000}; ///< then 504
  size_t max_connections = 1024;
  /// Admission control (runtime/io/admission.hpp) of the connections: every
  /// connection holds a slot (max_pending is set to max_connections); one
  /// waiting for a request header (new or idle keep-alive) can be evicted
  /// for a newcomer from a lighter source, one being served never is. Over a
  /// per-source bound with nothing evictable: 503. The header/idle deadline
  /// is read_timeout while at most half the connections are in use, then
  /// shrinks linearly to min_deadline.
  size_t max_connections_per_ip = 64;
  size_t max_connections_per_prefix = 256; ///< per /24 (IPv4) or /64 (IPv6)
  std::chrono::milliseconds min_header_timeout{1000};
  std::string server_name = "skywire-cpp";
  /// Body of the server's own error replies (404, 405, 413, 431, 400, 503, 504).
  /// Default: {"message":"<reason>","code":<status>} as the Go services answer.
  std::function<response(unsigned status, std::string_view reason)> error_response;
};

struct server_stats {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0; ///< refused by admission control (503)
  uint64_t connections_evicted = 0;  ///< idle ones pushed out for a newcomer
  uint64_t requests = 0;
  uint64_t responses_4xx = 0;
  uint64_t responses_5xx = 0;
  uint64_t active_connections = 0;
};

/// Splits a listen address as the Go services write it: ":9090" (all
/// interfaces, host ""), "127.0.0.1:9090", "[::1]:9090", "localhost:9090".
struct listen_address {
  std::string host;
  uint16_t port = 0;
};
expected<listen_address> parse_listen_address(std::string_view text);

/// The default error body: {"message":"...","code":N}.
response json_error(unsigned status, std::string_view message);

/// A connection that is not one of the server's TCP sockets: a dmsg stream
/// (dmsghttp, served on dmsg port 80 beside the TCP listener). Its owner
/// pushes the bytes it receives in; the server reads one request with the
/// same header/body limits and deadlines as on TCP, under the same
/// admission control (its own source keys), routes it to the same handlers,
/// hands the response to `write` and then calls `close`.
struct external_peer {
  std::string source;  ///< admission: who (a dmsg peer: its public key)
  std::string network; ///< admission: its network ("" = the source alone)
  std::string remote;  ///< request::remote (dmsghttp: "<pk>:<port>", as Go's RemoteAddr)
  /// The response's bytes (on an io thread; at most once).
  std::function<void(std::string bytes)> write;
  /// The server is done with the connection (after the response, or on a
  /// refusal, deadline, parse error or stop), at most once, on an io thread.
  /// Not called after peer_closed().
  std::function<void()> close;
};

class external_connection {
public:
  virtual ~external_connection() = default;
  /// Bytes the peer sent (thread-safe; copied).
  virtual void feed(std::span<const uint8_t> bytes) = 0;
  /// The peer's side has ended (thread-safe): the connection ends quietly.
  virtual void peer_closed() = 0;
};

using external_connection_ptr = std::shared_ptr<external_connection>;

class server {
public:
  server(io::io_runtime& io, server_config cfg, router routes);
  ~server(); ///< stops
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and starts accepting; returns the bound port.
  expected<uint16_t> start();

  /// Serves an external connection (see external_peer). A peer admission
  /// control refuses gets a 503 and `close`, and nullptr is returned. Works
  /// with or without start(); after stop(), every peer is refused.
  external_connection_ptr attach(external_peer peer);

  /// Stops accepting and closes every connection (idempotent, thread-safe).
  void stop();

  uint16_t port() const noexcept;
  server_stats stats() const noexcept;

  /// The admission control's counters (per refusal kind).
  const io::admission& admission() const noexcept;

  /// Prometheus text exposition of stats(), metric names prefixed by `prefix`.
  std::string metrics_text(std::string_view prefix) const;

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace skywire::http
