// HTTP client of the dmsg discovery (dmsg-protocol.md §4), a plain async class
// shared by the dmsg client and the dmsg server actors.
//
// Every call issues one HTTP request through runtime/http (finite timeout) and
// calls its callback exactly once, ON AN I/O THREAD: an actor must only
// forward the result to itself (caf::anon_send). The object is a cheap value
// (copyable); it keeps a reference to the io_runtime, which must outlive the
// requests in flight.
//
// Errors: 404 -> dmsg_errc::entry_not_found (100, objects.hpp), a
// response that is not an entry of the asked kind -> entry_not_server /
// entry_not_client, anything else -> client_errc::discovery_failed (errors.hpp) with the HTTP status
// and the discovery's message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/dmsg/errors.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/dmsg/discovery_entry.hpp"
#include "runtime/http/client.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::dmsg {

using wire::dmsg::entry;

/// Unix time in nanoseconds (system clock).
int64_t unix_now_ns() noexcept;

/// Sets e.sig to the signature of encode_for_signing(e) by sk.
void sign_entry(entry& e, const secret_key& sk);

/// A client entry for pk listing `servers` as delegated servers (sequence 0,
/// timestamp now, unsigned). client_type "" is omitted on the wire.
entry make_client_entry(const public_key& pk, std::vector<public_key> servers,
                        std::string client_type = {});

class discovery_client {
public:
  using entry_callback = std::function<void(expected<entry>)>;
  using list_callback = std::function<void(expected<std::vector<entry>>)>;
  using done_callback = std::function<void(caf::error)>;

  /// `base_url` as in configs: "http://127.0.0.1:9090" (a path prefix is
  /// kept), or "dmsg://<pk>:80" with a `send` that carries dmsghttp
  /// (dmsghttp.hpp). `send` empty: plain HTTP on `io`.
  static expected<discovery_client> make(io::io_runtime& io, std::string_view base_url,
                                         std::chrono::milliseconds timeout
                                         = std::chrono::seconds{10},
                                         http::client_sender send = {});

  /// GET /dmsg-discovery/entry/{pk}; the answer's static key must be pk.
  void get_entry(const public_key& pk, entry_callback cb) const;

  /// POST /dmsg-discovery/entry/ of an already signed entry.
  void post_entry(const entry& signed_entry, done_callback cb) const;

  /// Registers or updates an entry with the reference's sequence handling:
  /// fresh timestamp, sign with sk, POST; when the discovery refuses the
  /// sequence, GET the stored entry, use stored.sequence + 1, re-sign and POST
  /// once more. The callback receives the entry as finally stored (so the
  /// caller's next update uses its sequence + 1).
  void put_entry(entry e, const secret_key& sk, entry_callback cb) const;

  /// DELETE /dmsg-discovery/entry with the signed entry as body.
  void delete_entry(const entry& signed_entry, done_callback cb) const;

  /// GET /dmsg-discovery/available_servers (most free sessions first).
  /// "None available" (404) is an empty list, not an error.
  void available_servers(list_callback cb) const;

  /// GET /dmsg-discovery/all_servers (404 = empty list).
  void all_servers(list_callback cb) const;

  const std::string& base_url() const noexcept { return url_; }

private:
  discovery_client(io::io_runtime& io, std::string url, std::string scheme, std::string host,
                   uint16_t port, std::string prefix, std::chrono::milliseconds timeout,
                   http::client_sender send)
    : io_(&io), url_(std::move(url)), scheme_(std::move(scheme)), host_(std::move(host)),
      port_(port), prefix_(std::move(prefix)), timeout_(timeout), send_(std::move(send)) {}

  void list(std::string_view path, list_callback cb) const;
  /// A request to the discovery (scheme, host, port, timeout set).
  http::client_request make_request(http::verb method, std::string target, size_t limit) const;
  void send(http::client_request req, http::client_callback cb) const;

  io::io_runtime* io_;
  std::string url_;
  std::string scheme_;
  std::string host_;
  uint16_t port_;
  std::string prefix_; ///< path prefix without trailing '/'
  std::chrono::milliseconds timeout_;
  http::client_sender send_;
};

/// The "message" of a discovery error body {"message":"...","code":N}, or the
/// body itself when it is not of that shape (truncated to 200 bytes).
std::string discovery_message(std::string_view body);

} // namespace skywire::dmsg
