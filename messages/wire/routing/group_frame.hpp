// The route group's own encodings beyond the reference (docs/protocol/routing.md,
// "## route group"), between two Skywire-C++ endpoints only:
//
//  * the HandshakePacket byte as an offer: the reference reads it as "supports
//    encryption" when it is not 0 (pkg/router route_group.go), so bit 0 stays 1
//    and the other bits offer extensions a Go peer never looks at:
//        bit 0     1 = encryption (always set: we never run a route in plaintext)
//        bit 1     reliable mode (sequence numbers, acknowledgements, retransmission)
//        bits 2-3  uniform cells: 0 off, 1 = 512, 2 = 1024, 3 = 1400 bytes per cell
//        bits 4-7  reserved (sent as 0, ignored on receipt)
//    A Go peer sends 1; the answer to 1 is 1: the plain reference behaviour.
//
//  * the inner frame, the plaintext of every route-level Noise frame once an
//    extension is on (one Noise frame per DataPacket, never split):
//        kind u8 | body_len u16 BE | body[body_len] | padding (cells: zeros up to the cell)
//    kinds:  0 data       reliable: seq u32 | ack u32 | sack u32 | wnd u32 | app bytes
//                         otherwise: app bytes
//            1 ack        ack u32 | sack u32 | wnd u32             (reliable only)
//            2 ping       timestamp_ms u64 | throughput i64        (cells: in band)
//            3 pong       timestamp_ms u64 | 8 zero bytes          (cells: in band)
//            4 keepalive  (empty body)                             (cells: in band)
//    `ack` is the next sequence number expected (all below it arrived);
//    bit i of `sack` says that seq ack+1+i arrived too; `wnd` is the receive
//    window: the sender may send sequence numbers below ack + wnd (flow
//    control: the receiver offers only what its consumer has room for, so a
//    slow consumer holds the sender back instead of making it retransmit).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"

namespace skywire::wire::routing {

/// What a route group offers or agreed in its HandshakePacket byte.
struct group_options {
  bool reliable = false;
  uint16_t cell_size = 0; ///< 0 = no cells; else 512, 1024 or 1400

  bool any() const noexcept { return reliable || cell_size != 0; }
  friend bool operator==(const group_options&, const group_options&) = default;
};

inline constexpr uint8_t handshake_encryption_bit = 0x01;
inline constexpr uint8_t handshake_reliable_bit = 0x02;
inline constexpr uint16_t cell_sizes[4] = {0, 512, 1024, 1400};
/// The cell size we offer by default (bench/route_group_bench: 1024 keeps bulk
/// within 0.5x of no cells and interactive padding near 10x; docs/benchmarks.md).
inline constexpr uint16_t default_cell_size = 1024;

/// The HandshakePacket byte for an offer (bit 0 always set). A cell size not
/// in cell_sizes is not offered.
uint8_t encode_handshake_byte(const group_options& o) noexcept;

/// Reads a peer's HandshakePacket byte: an error for 0 (the peer would run the
/// route in plaintext, which we refuse); reserved bits are ignored.
expected<group_options> decode_handshake_byte(uint8_t b);

/// The options both ends use: what both offered (cells only when both name the
/// same size).
group_options agree(const group_options& ours, const group_options& theirs) noexcept;

enum class inner_kind : uint8_t { data = 0, ack = 1, ping = 2, pong = 3, keep_alive = 4 };

inline constexpr size_t inner_header_size = 3;
inline constexpr size_t reliable_header_size = 16; ///< seq | ack | sack | wnd
inline constexpr size_t ack_body_size = 12;       ///< ack | sack | wnd
inline constexpr size_t ping_body_size = 16;

/// A decoded inner frame; payload points into the decoded buffer.
struct inner_frame {
  inner_kind kind = inner_kind::data;
  uint32_t seq = 0;  ///< reliable data
  uint32_t ack = 0;  ///< reliable data and ack
  uint32_t sack = 0; ///< reliable data and ack
  uint32_t wnd = 0;  ///< reliable data and ack: packets the receiver takes from `ack` on
  uint64_t timestamp_ms = 0; ///< ping, pong
  int64_t throughput = 0;    ///< ping
  byte_span payload{};       ///< data: the app bytes
};

/// Decodes the plaintext of one Noise frame (strict: known kind, body_len
/// within the plaintext, body sizes as above, reliable fields only in reliable
/// mode, acks only in reliable mode). Padding after the body is ignored.
expected<inner_frame> decode_inner(byte_span plain, bool reliable);

/// Appends an inner frame; pad_to > 0 pads the result to exactly pad_to bytes
/// (an error when it does not fit).
caf::error encode_inner(std::vector<uint8_t>& out, const inner_frame& f, bool reliable,
                        size_t pad_to = 0);

/// The inner frame's size without padding.
size_t inner_size(const inner_frame& f, bool reliable) noexcept;

/// Bytes before the app bytes of a reliable data frame (kind, body_len, seq, ack, sack, wnd).
inline constexpr size_t reliable_data_prefix = inner_header_size + reliable_header_size;

/// Writes a reliable data frame's prefix at `at` (reliable_data_prefix
/// bytes) for `app_len` app bytes that follow it: the same bytes encode_inner
/// writes, so a sender can keep its app bytes where they are and seal them
/// in place (padding, if any, is the caller's). app_len <= 65535 - 16.
void put_reliable_data_prefix(uint8_t* at, uint32_t seq, uint32_t ack, uint32_t sack,
                              uint32_t wnd, size_t app_len) noexcept;

} // namespace skywire::wire::routing
