// The server side of a SOCKS5 handshake (RFC 1928, RFC 1929) as one plain
// state machine, shared by `skywire dmsg web` (actors/dmsg_tools/
// socks5_session) and skysocks (actors/apps/socks5_stream): greeting, the
// method choice, username/password when a passcode is set (accepted when
// either the username or the password equals it, as the reference's
// skysocks), then the request. CONNECT only; the caller connects and sends
// the reply (encode_reply).
//
// Hostile input: at most max_bytes of an incomplete handshake are buffered
// (bytes after a whole request are the caller's leftover, not handshake, and
// come in pieces the caller bounds); anything malformed ends the handshake
// (with the answer RFC 1928 asks for, if any).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "messages/wire/socks5/socks5.hpp"

namespace skywire::wire::socks5 {

class server_handshake {
public:
  enum class state : uint8_t {
    need_more, ///< send `out`, then feed more bytes
    ready,     ///< request() holds the CONNECT target; leftover() the bytes after it
    refused,   ///< send `out` and close (no acceptable method, bad auth, bad request)
  };

  static constexpr size_t max_bytes = 1024;

  /// No authentication when passcode is empty.
  explicit server_handshake(std::string passcode = {}) : passcode_(std::move(passcode)) {}

  /// Takes bytes; appends what to send to `out`. After ready or refused,
  /// further bytes are kept as leftover (ready) or ignored (refused).
  state feed(std::span<const uint8_t> bytes, std::vector<uint8_t>& out);

  state current() const noexcept { return st_; }
  const request& req() const noexcept { return req_; }
  /// Bytes the client sent after its request (the first payload bytes).
  std::vector<uint8_t> take_leftover() { return std::move(in_); }
  /// Why the handshake was refused (for logs).
  const std::string& why() const noexcept { return why_; }

private:
  enum class step : uint8_t { greeting, auth, request, done };
  state refuse(std::string why, std::vector<uint8_t>& out, std::span<const uint8_t> answer);
  /// Parses what in_ holds, as far as it goes.
  state advance(std::vector<uint8_t>& out);

  std::string passcode_;
  step step_ = step::greeting;
  state st_ = state::need_more;
  std::vector<uint8_t> in_;
  request req_;
  std::string why_;
};

} // namespace skywire::wire::socks5
