// skychat's local web API (reference §5.6), the plain parts: where it
// listens, how a request is framed on the connection, the answers, the
// Server-Sent Events, the message body. The chat actor (skychat.hpp) owns
// the sockets.
//
//   GET  /          the static page
//   POST /message   {"recipient":"<pk>","message":"<text>"}  -> 200 (empty body)
//                   or 400 with the error text (as the reference: http.Error)
//   GET  /sse       text/event-stream, chunked: one event per received message
//                   `data: {"message":"…","sender":"<pk>"}\n\n` (Go's json.Marshal
//                   of a map: keys sorted, HTML-safe escaping, invalid UTF-8 as \ufffd)
//   GET  /history   ours: the kept history as a JSON array of
//                   {"time","peer","dir","message"} (chat_history.hpp)
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "actors/apps/chat_history.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"

namespace skywire::apps {

/// The routing port of skychat.
inline constexpr uint16_t chat_port = 1;
/// The most bytes of one message (the receiver reads 32 KiB per message).
inline constexpr size_t max_chat_message = 32 * 1024;

struct web_listen {
  std::string host; ///< "" = every interface
  uint16_t port = 8001;
};

/// --addr: ":8001" -> 127.0.0.1:8001 (as the reference serves it), "*:8001"
/// -> every interface, "host:8001" -> that host. Errors: no port.
expected<web_listen> parse_web_addr(std::string_view text);

/// Where one request ends in `buf`: need_more, complete (`total` bytes: the
/// header and a Content-Length body), or refused (header over 8 KiB, body
/// over max_body, or chunked request bodies, which the API never needs).
enum class frame_status : uint8_t { need_more, complete, refused };
frame_status frame_request(std::string_view buf, size_t max_body, size_t& total);

/// A whole response with Content-Length and `Connection: close`.
std::string http_response(unsigned status, std::string_view content_type, std::string_view body);
/// The head of the /sse answer (chunked, as the reference's).
std::string sse_head();
/// One event's data as the reference writes it (unframed).
std::string sse_event(const public_key& sender, std::string_view message);
/// One chunk of a chunked body.
std::string http_chunk(std::string_view data);

struct chat_post {
  public_key recipient;
  std::string message;
};
/// The POST /message body. Errors: not a JSON object of strings, a bad
/// recipient, a message over max_chat_message bytes.
expected<chat_post> parse_chat_post(std::string_view body);

/// GET /history.
std::string history_json(const std::deque<chat_entry>& entries);

/// GET /.
std::string_view chat_page();

} // namespace skywire::apps
