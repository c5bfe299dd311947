// One connection to skysocks-client's HTTP proxy (--http) until its bytes
// can be piped: the plain state machine that yamux_route drives on the
// route's shard (no sockets here, so it is tested alone).
//
//  head       the local client's request head is collected (bounded by
//             http::max_proxy_head) and parsed (runtime/http/proxy_request);
//  handshake  a yamux stream is opened to the remote skysocks, which is a
//             SOCKS5 server: we send the greeting (no authentication) and the
//             CONNECT request at once and read its method choice and reply;
//  done       success: CONNECT is answered "200 Connection established",
//             a forwarded request's rewritten head goes to the stream; the
//             client's bytes that came after its head follow; from then on
//             the bytes are piped both ways, unparsed;
//  failed     an error answer (400/403/408/431/502/504 with the reason) goes
//             to the client, whose connection is then closed; the stream,
//             if any, is reset.
//
// SOCKS reply codes map to statuses as http::proxy_status_for says; a server
// that wants a passcode (no acceptable method) is a 502.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "runtime/http/proxy_request.hpp"

namespace skywire::apps {

class http_proxy_exchange {
public:
  enum class phase : uint8_t { head, handshake, done, failed };

  /// What the caller does after a call, in this order.
  struct actions {
    bool open_stream = false;        ///< open the stream (to_stream is its first bytes)
    std::vector<uint8_t> to_stream;  ///< write to the stream
    std::vector<uint8_t> to_client;  ///< write to the local connection (answers)
    std::vector<uint8_t> payload;    ///< stream bytes after the SOCKS reply: to the client too
    bool pipe = false;               ///< done: pipe from now on
    bool close = false;              ///< failed: close the client once to_client is sent,
                                     ///< reset the stream
  };

  /// Client bytes buffered while the stream is set up (the caller stops
  /// reading the client meanwhile, so only a read in flight lands here).
  static constexpr size_t max_early = 256 * 1024;

  actions from_client(std::span<const uint8_t> bytes);
  /// Bytes of the stream; every byte not returned in `payload` was the
  /// handshake's (the caller credits the stream for them at once).
  actions from_stream(std::span<const uint8_t> bytes);
  /// Ends the exchange with an error answer (timeouts, a lost stream);
  /// nothing when it is already done or failed.
  actions fail(unsigned status, std::string reason);

  phase current() const noexcept { return phase_; }
  /// The parsed request (from handshake on).
  const http::proxy_request& request() const noexcept { return req_; }
  /// The answered status and why (failed).
  unsigned status() const noexcept { return status_; }
  const std::string& why() const noexcept { return why_; }

private:
  actions succeed(std::span<const uint8_t> payload);

  phase phase_ = phase::head;
  std::string head_;               ///< head phase: bytes so far
  std::vector<uint8_t> early_;     ///< client bytes after the head
  std::vector<uint8_t> reply_;     ///< handshake: stream bytes so far
  bool method_seen_ = false;
  http::proxy_request req_;
  unsigned status_ = 0;
  std::string why_;
};

} // namespace skywire::apps
