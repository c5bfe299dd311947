// The client side of httpauth (reference §1.4), shared by the visor's
// clients of the transport discovery and the address resolver (and later the
// service discovery and uptime tracker clients).
//
// Each signed request carries SW-Public, SW-Nonce and SW-Sig (the signature
// of body || decimal(nonce)), plus SW-PublicIP when configured (dmsghttp
// mode). The nonce is fetched with GET /security/nonces/{pk} before the
// first request; when an answer is httpauth's 401 ("SW-Nonce does not
// match", or any error with code 401) the client fetches the nonce again and
// retries once, as the Go client does. The local nonce advances on every
// 2xx answer (the Go client: only on 200), so it stays in step with our
// services, which consume a nonce on any 2xx; against a Go service that
// answered 201 the next request costs one re-fetch. After a request that got
// no answer, or a final 401, the nonce is fetched again before the next one.
//
// Signed requests of one client are sent one at a time, in call order (two
// in flight would carry the same nonce); at most `max_queued` wait (then
// client_errc::busy). Unsigned requests are sent at once.
//
// Every callback runs exactly once, ON AN I/O THREAD (or, for a refusal
// before anything is sent, on the caller's): an actor must only forward the
// result to itself. The object is a cheap copyable handle on shared state;
// the io_runtime must outlive the requests in flight.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "runtime/http/client.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::transport {

class httpauth_client {
public:
  /// Sends one HTTP request and calls back once (default: runtime/http's
  /// async_request on the io runtime; dmsghttp plugs in a dmsg stream here).
  using sender = http::client_sender;
  using response_callback = std::function<void(expected<http::response>)>;
  using nonce_callback = std::function<void(expected<uint64_t>)>;

  struct options {
    std::chrono::milliseconds timeout{10'000}; ///< per HTTP exchange
    /// SW-PublicIP, asked for each signed request (dmsghttp mode only: the
    /// service sees a dmsg address, not ours); empty or nullopt: no header.
    std::function<std::optional<std::string>()> public_ip;
    size_t max_queued = 256;                   ///< signed requests waiting
    sender send; ///< empty: HTTP over TCP on the io runtime (a dmsg:// URL then fails)
  };

  /// `base_url` as in configs ("http://127.0.0.1:9091", a path prefix kept;
  /// "dmsg://<pk>:80" with a `send` that carries dmsghttp);
  /// `service` names the service in error texts ("transport discovery").
  static expected<httpauth_client> make(io::io_runtime& io, std::string_view base_url,
                                        const public_key& pk, const secret_key& sk,
                                        std::string service, options opts);

  /// A signed request to base + `path` (path starting with '/'). The
  /// callback gets the final answer whatever its status (the caller maps
  /// it), or client_errc::unreachable / busy / an error of the nonce fetch.
  void signed_request(http::verb method, std::string path, std::string body,
                      size_t response_limit, response_callback cb) const;

  /// An unsigned request (public endpoints: /health, the AR's /transports).
  void plain_request(http::verb method, std::string path, size_t response_limit,
                     response_callback cb) const;

  /// GET /security/nonces/{pk}: the nonce the service expects next.
  void fetch_nonce(nonce_callback cb) const;

  /// The nonce the next signed request will carry, if known.
  std::optional<uint64_t> nonce() const;

  const public_key& pk() const noexcept;
  const std::string& service() const noexcept;
  const std::string& base_url() const noexcept;
  io::io_runtime& io() const noexcept;

  struct state;

private:
  explicit httpauth_client(std::shared_ptr<state> st) : st_(std::move(st)) {}
  std::shared_ptr<state> st_;
};

} // namespace skywire::transport
