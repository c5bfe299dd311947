// KCP segments as sudph carries them (reference §3.6): xtaci/kcp-go v5.4.20
// with no encryption and no FEC, so a UDP datagram is nothing but KCP
// segments back to back. Each segment is a 24-byte little-endian header
//   conv u32 | cmd u8 | frg u8 | wnd u16 | ts u32 | sn u32 | una u32 | len u32
// followed by `len` data bytes (only PUSH carries data in practice; the
// format allows it on every command). Commands: PUSH 81, ACK 82, WASK 83
// (window probe), WINS 84 (window size). Pure codec: no sockets, no clocks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "messages/error.hpp"

namespace skywire::wire::kcp {

using byte_span = std::span<const uint8_t>;

/// IKCP_OVERHEAD.
inline constexpr size_t header_size = 24;
/// Offsets the sudph demultiplexer and kcp-go's listener read directly.
inline constexpr size_t conv_offset = 0;
inline constexpr size_t cmd_offset = 4;
inline constexpr size_t sn_offset = 12;
/// kcp-go's mtuLimit: no kcp-go peer sends a datagram longer than this
/// (UDPSession.SetMtu refuses more), and its receive buffers are this long.
inline constexpr size_t max_datagram = 1500;

enum class command : uint8_t {
  push = 81, ///< data
  ack = 82,  ///< acknowledges sn (ts echoes the acked segment's ts)
  wask = 83, ///< window probe: "tell me your window"
  wins = 84, ///< window size: the answer (wnd is the news)
};

const char* to_string(command c) noexcept;
/// Whether b is one of the four commands.
constexpr bool is_command(uint8_t b) noexcept {
  return b >= static_cast<uint8_t>(command::push) && b <= static_cast<uint8_t>(command::wins);
}

struct header {
  uint32_t conv = 0;
  command cmd = command::push;
  uint8_t frg = 0;  ///< message mode: fragments still to come after this one
  uint16_t wnd = 0; ///< the sender's free receive window, in segments
  uint32_t ts = 0;  ///< the sender's clock (ms) at sending; an ACK echoes it
  uint32_t sn = 0;  ///< sequence number (PUSH: of this segment; ACK: the acked one)
  uint32_t una = 0; ///< every sn below this was received by the sender
  uint32_t len = 0; ///< data bytes that follow

  friend bool operator==(const header&, const header&) = default;
};

/// "PUSH conv=0x5eed1234 frg=0 wnd=32 ts=0 sn=0 una=0 len=10".
std::string to_string(const header& h);

/// A decoded segment; `data` points into the caller's buffer.
struct segment_view {
  header hdr;
  byte_span data;
};

/// The 24 header bytes (h.len as given).
std::array<uint8_t, header_size> encode(const header& h) noexcept;

/// Writes header and data at the front of `out`, with h.len taken from
/// data.size(); returns the bytes written, or 0 (nothing written) when `out`
/// is shorter than header_size + data.size().
size_t encode_into(std::span<uint8_t> out, header h, byte_span data = {}) noexcept;

/// Appends header and data (h.len taken from data.size()).
void append_segment(std::vector<uint8_t>& out, header h, byte_span data = {});

/// Decodes and validates one header from the front of `in` (extra bytes are
/// ignored). Errors: truncated (fewer than 24 bytes), malformed (a command
/// other than 81-84).
expected<header> decode_header(byte_span in);

/// Decodes one segment from the front of `in` and reports the bytes it used
/// through `consumed`. Errors: those of decode_header, and truncated when
/// `len` exceeds the bytes that follow the header. Never reads past `in`.
expected<segment_view> decode_segment(byte_span in, size_t& consumed);

/// Walks the segments of one datagram. A datagram must be a whole number of
/// well-formed segments: bytes left over that do not form one are an error
/// (kcp-go's Input skips fewer than 24 trailing bytes; no kcp-go sender
/// writes them, so we refuse them).
class datagram_reader {
public:
  explicit datagram_reader(byte_span datagram) noexcept : rest_(datagram) {}

  /// The next segment, std::nullopt at the end, or an error (sticky: the
  /// reader stays failed).
  expected<std::optional<segment_view>> next();

  /// Bytes not yet decoded.
  size_t remaining() const noexcept { return rest_.size(); }

private:
  byte_span rest_;
  caf::error failed_;
};

/// Checks a whole datagram: at least one segment, each well-formed, nothing
/// left over; when `conv` is given, every segment carries it. Returns the
/// number of segments. Errors: truncated, malformed, bad_value (another
/// conversation), oversized (longer than max_datagram).
expected<size_t> validate_datagram(byte_span datagram,
                                   std::optional<uint32_t> conv = std::nullopt);

/// The sudph demultiplexer's test (reference §3.6; Skywire's kcp-filter):
/// at least 5 bytes and a command byte 81-84 at offset 4. Says nothing about
/// the rest of the datagram.
constexpr bool looks_like_kcp(byte_span datagram) noexcept {
  return datagram.size() >= cmd_offset + 1 && is_command(datagram[cmd_offset]);
}

/// The conversation id (little-endian bytes 0-3), if there are 4 bytes.
std::optional<uint32_t> peek_conv(byte_span datagram) noexcept;

} // namespace skywire::wire::kcp
