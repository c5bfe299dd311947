// Routing packets (reference §4.9): every frame on a transport.
//   type u8 | route id u32 BE | payload length u16 BE | payload   (7-byte header)
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/ids.hpp"

namespace skywire::wire::routing {

enum class packet_type : uint8_t {
  data = 0,
  close = 1,
  keep_alive = 2,
  handshake = 3,
  ping = 4,
  pong = 5,
  error = 6,
};

/// The reference's names ("DataPacket", "ClosePacket", ..., "Handshake", "Ping").
const char* to_string(packet_type t) noexcept;

inline constexpr size_t packet_header_size = 7;
inline constexpr size_t max_packet_payload = 0xffff;

/// Close codes carried by a Close packet.
enum class close_code : uint8_t {
  requested = 0, ///< "closing requested by visor"
};

/// A decoded packet whose payload points into the caller's buffer.
struct packet_view {
  packet_type type = packet_type::data;
  route_id rid;
  byte_span payload;
  size_t wire_size() const noexcept { return packet_header_size + payload.size(); }
};

/// An owning packet.
struct packet {
  packet_type type = packet_type::data;
  route_id rid;
  std::vector<uint8_t> payload;

  packet_view view() const { return {type, rid, {payload.data(), payload.size()}}; }
  friend bool operator==(const packet&, const packet&) = default;
};

/// Checks the payload shape the type requires: Close and Handshake 1 byte,
/// KeepAlive empty, Ping and Pong 16 bytes; Data and Error any length.
caf::error validate_payload(packet_type t, byte_span payload);

/// Appends header + payload. Errors (oversized) when the payload exceeds 65535.
caf::error encode(std::vector<uint8_t>& out, packet_type t, route_id rid, byte_span payload);

/// The 7-byte header of a packet whose payload is `payload_size` (<= 65535)
/// bytes long, for writers that send header and payload without joining them.
std::array<uint8_t, packet_header_size> encode_header(packet_type t, route_id rid,
                                                       size_t payload_size) noexcept;

/// Encodes a packet; the payload must be <= 65535 bytes.
expected<std::vector<uint8_t>> encode(const packet& p);

/// Decodes exactly one packet that fills `in` completely (strict: known type,
/// length field equals the remaining bytes, payload shape validated).
expected<packet_view> decode_packet(byte_span in);

/// The packet constructors of the reference.
packet make_data_packet(route_id rid, byte_span payload);
packet make_close_packet(route_id rid, close_code code);
packet make_keep_alive_packet(route_id rid);
packet make_handshake_packet(route_id rid, bool supports_encryption);
packet make_ping_packet(route_id rid, uint64_t timestamp_ms, int64_t throughput);
packet make_pong_packet(route_id rid, uint64_t timestamp_ms);
packet make_error_packet(route_id rid, std::string_view text);

/// Typed payload readers (call after decode_packet, which validated sizes).
struct ping_payload {
  uint64_t timestamp_ms = 0;
  int64_t throughput = 0;
};
expected<ping_payload> read_ping(const packet_view& p);  ///< Ping or Pong
expected<bool> read_handshake(const packet_view& p);     ///< supports encryption
expected<close_code> read_close(const packet_view& p);

/// Extracts whole packets from a byte stream. Bytes are appended with feed();
/// next() yields one packet at a time; a partial packet stays buffered. The
/// buffer never holds more than one partial packet plus the last feed.
/// After an error the stream is unusable (the connection must be dropped).
class packet_splitter {
public:
  explicit packet_splitter(size_t max_payload = max_packet_payload)
    : max_payload_(max_payload < max_packet_payload ? max_payload : max_packet_payload) {}

  void feed(byte_span bytes);

  /// The next whole packet, std::nullopt when more bytes are needed, or an
  /// error (unknown type, payload over the bound, bad payload shape). The
  /// view stays valid until the next call to feed() or next().
  expected<std::optional<packet_view>> next();

  /// Bytes buffered and not yet returned.
  size_t pending() const noexcept { return buf_.size() - pos_; }

  /// feed(bytes), then fn(packet_view) for every whole packet, in order: a
  /// packet that lies wholly inside `bytes` is viewed there (no copy), only
  /// a packet cut by a chunk's edge is buffered. fn returns false to stop:
  /// the rest stays buffered (the next feed_each or next() goes on from
  /// there). The same checks and errors as next().
  template <class Fn>
  caf::error feed_each(byte_span bytes, Fn&& fn);

private:
  /// How many more bytes complete the buffered packet (its header first).
  size_t missing() const noexcept;
  /// Parses one packet at the start of `rest` (as next() does).
  expected<std::optional<packet_view>> parse(byte_span rest);

  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  size_t max_payload_;
  bool failed_ = false;
};

template <class Fn>
caf::error packet_splitter::feed_each(byte_span bytes, Fn&& fn) {
  // 1. packets buffered from earlier chunks, completed from this one
  while (pending() > 0) {
    auto p = next();
    if (!p)
      return p.error();
    if (*p) {
      if (!fn(**p)) {
        feed(bytes);
        return {};
      }
      continue;
    }
    if (bytes.empty())
      return {};
    size_t take = std::min(missing(), bytes.size());
    feed(bytes.first(take));
    bytes = bytes.subspan(take);
  }
  if (failed_)
    return next().error();
  // 2. whole packets straight from the chunk
  while (!bytes.empty()) {
    auto p = parse(bytes);
    if (!p)
      return p.error();
    if (!*p)
      break;
    bytes = bytes.subspan((*p)->wire_size());
    if (!fn(**p))
      break;
  }
  // 3. the rest
  feed(bytes);
  return {};
}

/// Splits as many whole packets as `in` holds into `out` (views into `in`);
/// returns the number of bytes consumed. Same checks as packet_splitter.
expected<size_t> split_packets(byte_span in, std::vector<packet_view>& out,
                               size_t max_payload = max_packet_payload);

} // namespace skywire::wire::routing
