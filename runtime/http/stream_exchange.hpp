// HTTP/1.1 over a byte stream that someone else drives (a dmsg stream:
// dmsghttp, dmsg-protocol.md §5a): the request written as bytes, the
// response read from bytes pushed in as they arrive. No socket and no
// thread here; the owner of the stream (actors/dmsg/dmsghttp.cpp) moves the
// bytes and keeps the deadline.
//
// One request per stream, as the reference's dmsghttp does: the request
// says "Connection: close" and the response ends with its body (or, without
// Content-Length and chunking, with the end of the stream).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "messages/error.hpp"
#include "runtime/http/client.hpp"
#include "runtime/http/message.hpp"

namespace skywire::http {

/// The request's bytes: request line, Host (the host and port as the URL
/// names them), User-Agent, Connection: close, the caller's headers, and
/// Content-Type and Content-Length with a body (always for POST and PUT).
std::string serialize_request(const client_request& req);

/// Reads one response from pushed bytes, bounded by a header limit and a
/// body limit. Errors are http_errc values: too_large, protocol, closed.
class response_reader {
public:
  enum class state : uint8_t { need_more, done, failed };

  response_reader(size_t header_limit, size_t body_limit);
  ~response_reader();
  response_reader(const response_reader&) = delete;
  response_reader& operator=(const response_reader&) = delete;

  /// More bytes of the stream. Bytes after a complete response are ignored.
  state feed(std::span<const uint8_t> bytes);
  /// The stream ended: a body delimited by the end completes; anything else
  /// unfinished fails (closed).
  state finish();

  state current() const noexcept { return state_; }
  /// The response, once done (moved out).
  response take();
  /// Why it failed.
  const caf::error& error() const noexcept { return err_; }

private:
  state run();
  struct impl;
  std::unique_ptr<impl> impl_;
  state state_ = state::need_more;
  caf::error err_;
};

} // namespace skywire::http
