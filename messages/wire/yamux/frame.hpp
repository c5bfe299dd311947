// hashicorp/yamux v0.1.1 frames (dmsg sessions, skysocks routes).
// 12-byte big-endian header: version u8 (0) | type u8 | flags u16 |
// stream id u32 | length u32. Only Data frames carry a body of `length`
// bytes; for WindowUpdate the length is a window delta, for Ping an opaque id,
// for GoAway a reason code. Pure codec: no sockets, no clocks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "messages/error.hpp"

namespace skywire::wire::yamux {

using byte_span = std::span<const uint8_t>;

inline constexpr uint8_t protocol_version = 0;
inline constexpr size_t header_size = 12;

enum class frame_type : uint8_t {
  data = 0,
  window_update = 1,
  ping = 2,
  go_away = 3,
};

const char* to_string(frame_type t) noexcept;

/// Header flag bits.
namespace flag {
inline constexpr uint16_t syn = 1;
inline constexpr uint16_t ack = 2;
inline constexpr uint16_t fin = 4;
inline constexpr uint16_t rst = 8;
inline constexpr uint16_t all = syn | ack | fin | rst;
} // namespace flag

/// GoAway reason codes (carried in the length field).
enum class go_away_code : uint32_t {
  normal = 0,
  protocol_error = 1,
  internal_error = 2,
};

/// hashicorp/yamux DefaultConfig() values.
struct config {
  uint32_t accept_backlog = 256;
  bool enable_keepalive = true;
  uint32_t keepalive_interval_s = 30;
  uint32_t connection_write_timeout_s = 10;
  uint32_t max_stream_window_size = 256 * 1024;
  uint32_t stream_open_timeout_s = 75;
  uint32_t stream_close_timeout_s = 300;
};

/// The initial window of every stream (fixed by the protocol, not configurable
/// in v0.1.1: streams start at 256 KiB and grow only up to max_stream_window_size).
inline constexpr uint32_t initial_stream_window = 256 * 1024;

struct header {
  uint8_t version = protocol_version;
  frame_type type = frame_type::data;
  uint16_t flags = 0;
  uint32_t stream_id = 0;
  uint32_t length = 0;

  bool has(uint16_t f) const noexcept { return (flags & f) != 0; }
  friend bool operator==(const header&, const header&) = default;
};

/// "ver=0 type=data flags=SYN|ACK id=1 len=5".
std::string to_string(const header& h);

/// Writes the 12 header bytes.
std::array<uint8_t, header_size> encode(const header& h) noexcept;

/// Appends header and (for data frames) body. `h.length` is taken from
/// `body.size()` when the type is data.
void append_frame(std::vector<uint8_t>& out, header h, byte_span body = {});

/// Decodes and validates 12 header bytes (in.size() must be >= 12; extra bytes
/// are ignored). Errors: truncated, bad_value (version != 0), malformed
/// (unknown type). Unknown flag bits are kept, as in the reference.
expected<header> decode_header(byte_span in);

/// Bounds for parsing an untrusted byte stream.
struct parse_limits {
  /// Largest data body accepted in one frame. A well-behaved peer never sends
  /// more than the receive window (256 KiB by default).
  uint32_t max_body = initial_stream_window;
};

/// A parsed frame; `body` points into the caller's buffer (empty unless data).
struct frame_view {
  header hdr;
  byte_span body;
};

/// Result of one parse attempt: a frame and the bytes it used, or (frame
/// empty, consumed 0) when more input is needed.
struct parse_step {
  std::optional<frame_view> frame;
  size_t consumed = 0;
};

/// Parses at most one frame from the front of `in`. Never reads past `in`.
/// Errors (the connection should be dropped): invalid header, data body
/// larger than limits.max_body.
expected<parse_step> parse_frame(byte_span in, const parse_limits& limits = {});

/// Accumulates socket bytes and yields frames. The view returned by next()
/// is valid until the next call to feed() or next().
class frame_reader {
public:
  explicit frame_reader(parse_limits limits = {}) : limits_(limits) {}

  /// Appends bytes read from the socket.
  void feed(byte_span bytes);

  /// The next complete frame, std::nullopt when more bytes are needed, or an
  /// error (sticky: once failed, the reader stays failed).
  expected<std::optional<frame_view>> next();

  /// Bytes buffered but not yet returned as frames.
  size_t buffered() const noexcept { return buf_.size() - pos_; }

private:
  parse_limits limits_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  caf::error failed_;
};

/// Splits a byte stream into frames without copying them: every frame that
/// lies wholly inside one read is handed out as a view into that read; only a
/// frame cut by a read boundary is assembled in a small tail buffer (at most
/// one header plus limits.max_body bytes). The read path of dmsg sessions
/// (client and server) uses it; frame_reader (copying) remains for callers
/// that want frames one at a time.
class frame_splitter {
public:
  explicit frame_splitter(parse_limits limits = {}) : limits_(limits) {}

  /// Calls fn(const frame_view&) for each complete frame of tail + bytes, in
  /// order; a view is valid during its call only. Stops at the first invalid
  /// frame and returns its error (sticky). fn may return false to stop (the
  /// rest of `bytes` is dropped: the caller is closing the connection).
  template <class Fn>
  caf::error feed(byte_span bytes, Fn&& fn);

  /// Bytes of an incomplete frame kept between reads.
  size_t buffered() const noexcept { return tail_.size(); }

private:
  /// Completes the frame in tail_ from bytes; returns bytes used, or an error.
  expected<size_t> fill_tail(byte_span bytes);

  parse_limits limits_;
  std::vector<uint8_t> tail_;
  caf::error failed_;
};

template <class Fn>
caf::error frame_splitter::feed(byte_span bytes, Fn&& fn) {
  if (failed_)
    return failed_;
  if (!tail_.empty()) {
    auto used = fill_tail(bytes);
    if (!used)
      return failed_ = used.error();
    bytes = bytes.subspan(*used);
    auto step = parse_frame(byte_span{tail_}, limits_);
    if (!step)
      return failed_ = step.error();
    if (!step->frame)
      return {}; // still incomplete: everything was taken into the tail
    bool go_on = fn(*step->frame);
    tail_.clear();
    if (tail_.capacity() > 64 * 1024)
      std::vector<uint8_t>{}.swap(tail_);
    if (!go_on)
      return {};
  }
  while (!bytes.empty()) {
    auto step = parse_frame(bytes, limits_);
    if (!step)
      return failed_ = step.error();
    if (!step->frame) {
      tail_.assign(bytes.begin(), bytes.end());
      return {};
    }
    if (!fn(*step->frame))
      return {};
    bytes = bytes.subspan(step->consumed);
  }
  return {};
}

} // namespace skywire::wire::yamux
