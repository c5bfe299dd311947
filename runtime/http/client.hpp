// HTTP/1.1 client on Boost.Beast: one request per connection, a finite
// deadline covering resolve + connect + write + read, and a response size
// limit. async_request() is for actors (the callback runs on an I/O thread:
// forward it to the actor with caf::anon_send). request_sync() blocks and is
// for CLI tools only, never inside an actor.
//
// URLs: http://host[:port][/path], and dmsg://<pk>[:port][/path] (dmsghttp:
// HTTP/1.1 over a dmsg stream, port 80 by default). This layer only parses
// a dmsg URL; carrying such a request needs a client_sender that knows a
// dmsg client (actors/dmsg/dmsghttp.hpp). async_request() refuses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "messages/error.hpp"
#include "runtime/http/message.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::http {

/// http://host[:port][/target] or dmsg://pk[:port][/target]. IPv6
/// literals in brackets.
struct url {
  std::string scheme = "http"; ///< "http" or "dmsg"
  std::string host;            ///< for dmsg: the public key as written (hex)
  uint16_t port = 80;
  std::string target = "/"; ///< path and query
};

expected<url> parse_url(std::string_view text);

struct client_request {
  std::string scheme = "http"; ///< "dmsg": host is a public key, port a dmsg port
  verb method = verb::get;
  std::string host = "127.0.0.1";
  uint16_t port = 80;
  std::string target = "/";
  std::string body;
  std::string content_type = "application/json"; ///< sent only with a body
  header_list headers;
  std::chrono::milliseconds timeout{10'000};
  size_t response_limit = 4 << 20; ///< bytes of response body accepted
  size_t header_limit = 16 * 1024;
};

/// Builds a request for `method` on `full_url` (e.g. "http://127.0.0.1:9090/health").
expected<client_request> make_client_request(verb method, std::string_view full_url,
                                             std::string body = {});

using client_callback = std::function<void(expected<response>)>;

/// Sends one request and calls back once: the "HTTP to a service" seam.
/// async_request on an io runtime is one (plain TCP); a dmsghttp sender
/// (actors/dmsg/dmsghttp.hpp) carries dmsg:// requests over dmsg streams.
using client_sender = std::function<void(client_request, client_callback)>;

/// Starts the request on `io`; `cb` runs exactly once, on an I/O thread.
void async_request(io::io_runtime& io, client_request req, client_callback cb);

/// Blocking form for CLI tools (runs its own event loop).
expected<response> request_sync(client_request req);

} // namespace skywire::http
