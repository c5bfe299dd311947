// An HTTP proxy's request head (skysocks-client --http, reference §5.5): the
// bytes a local client sends to a forward proxy, read with Beast's parser (as
// runtime/http/parse does for the services) and turned into where to go and
// what to send there:
//  - `CONNECT host:port HTTP/1.x`: a tunnel; the proxy answers
//    "HTTP/1.1 200 Connection established" and splices bytes both ways;
//  - `METHOD http://host[:port]/path?query HTTP/1.x` (absolute form): the
//    request is forwarded in origin form (`METHOD /path?query HTTP/1.x`),
//    Host set from the URI, the hop-by-hop headers removed (Connection,
//    Proxy-Connection, Keep-Alive, Proxy-Authorization, Proxy-Authenticate,
//    TE, Trailer, Upgrade and every header the Connection headers name,
//    except the framing ones Content-Length / Transfer-Encoding, which the
//    body piped after the head still needs), and `Connection: close` added:
//    one request per connection, the origin's close ends the exchange.
//
// Hostile input: the head is bounded (max_proxy_head bytes, 431 past it);
// anything else than the two forms above is refused with 400 (origin-form
// requests, https:// or other schemes, user info, bad hosts or ports, bare
// line feeds, a version other than HTTP/1.0 or 1.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "messages/error.hpp"
#include "messages/wire/socks5/socks5.hpp"

namespace skywire::http {

/// The largest request head accepted, request line and headers included.
inline constexpr size_t max_proxy_head = 16 * 1024;

struct proxy_request {
  bool tunnel = false;           ///< CONNECT: answer 200, then splice
  wire::socks5::target dst;      ///< where to connect (names resolved by the SOCKS server)
  std::string authority;         ///< host:port as asked, for logs
  std::string head;              ///< forwarded requests: the head to send to the origin
  size_t consumed = 0;           ///< bytes of the input the head took (the body follows)
};

/// Why a head was refused, and the status to answer.
struct proxy_failure {
  unsigned status = 400;
  std::string reason;
};

/// Where the head ends (just past its empty line, "\r\n\r\n" or a bare
/// "\n\n", which the parser then refuses), searching from `from` (a caller
/// feeding bytes passes the old size minus 3); npos when not yet there.
size_t find_head_end(std::string_view bytes, size_t from = 0);

/// Parses the head at the start of `bytes`: nullopt while it is incomplete
/// (and below `limit`), the request, or an error with `failure` filled.
expected<std::optional<proxy_request>> parse_proxy_head(std::string_view bytes,
                                                        size_t limit = max_proxy_head,
                                                        proxy_failure* failure = nullptr);

/// The answer to a tunnel that is up.
inline constexpr std::string_view connect_established = "HTTP/1.1 200 Connection established\r\n\r\n";

/// A complete error answer: status line, text body with the reason,
/// Connection: close.
std::string proxy_error_answer(unsigned status, std::string_view reason);

/// The status answered for a SOCKS5 reply other than success: 403 when the
/// server does not allow it, 504 when its connect timed out (TTL expired),
/// else 502.
unsigned proxy_status_for(wire::socks5::reply_code code);

} // namespace skywire::http
