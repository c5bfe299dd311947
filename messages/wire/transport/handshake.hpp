// The transport handshake of stcp/stcpr/sudph (reference §3.3) and the
// settlement exchange of all transport types (§3.4).
//
//   I -> R  "get_nonce"                                   Frame0, 9 raw bytes
//   R -> I  {"Nonce":[16 numbers]}\n                       Frame1
//   I -> R  {"SrcAddr":..,"DstAddr":..,"Nonce":..,"Sig":..}\n   Frame2
//   R -> I  {"OK":bool,"ErrMsg":".."}\n                    Frame3
//
// The Frame2 signature covers frame2_signed_bytes(): the frame encoded with
// Sig = 65 zero bytes (130 '0's), trailing newline included. Verifying it
// needs crypto (runtime): crypto::verify(frame2_signed_bytes(f), f.src.pk, f.sig).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/ids.hpp"
#include "messages/wire/transport/entry.hpp"

namespace skywire::wire::transport {

inline constexpr std::string_view frame0_text = "get_nonce";
inline constexpr size_t handshake_nonce_size = 16;
using handshake_nonce = std::array<uint8_t, handshake_nonce_size>;

/// The transport port every visor listens on.
inline constexpr uint16_t transport_port = 45;

/// Longest Frame1/Frame2 line we accept (a maximal Frame2 is < 400 bytes).
inline constexpr size_t max_handshake_frame = 1024;
/// Longest Frame3 line (it carries an error text).
inline constexpr size_t max_frame3 = 8192; // room for a fully escaped error text
inline constexpr size_t max_frame3_error = 1024;

struct frame1 {
  handshake_nonce nonce{};
  friend bool operator==(const frame1&, const frame1&) = default;
};

struct frame2 {
  address src;
  address dst;
  handshake_nonce nonce{};
  signature sig;
  friend bool operator==(const frame2&, const frame2&) = default;
};

struct frame3 {
  bool ok = false;
  std::string err_msg;
  friend bool operator==(const frame3&, const frame3&) = default;
};

/// Frame0 must be exactly the 9 bytes "get_nonce".
caf::error check_frame0(byte_span in);

/// Encoders: exact Go json.Encoder bytes, trailing "\n" included.
std::string encode_frame1(const frame1& f);
std::string encode_frame2(const frame2& f);
std::string encode_frame3(const frame3& f);

/// The bytes the Frame2 signature covers (Sig zeroed, "\n" included).
std::string frame2_signed_bytes(const frame2& f);

/// Strict decoders of one frame line. The trailing "\n" is required.
/// Frame1/Frame2 nonce: exactly 16 integers 0..255. Ports 0..65535.
expected<frame1> decode_frame1(std::string_view line);
expected<frame2> decode_frame2(std::string_view line);
expected<frame3> decode_frame3(std::string_view line);

/// The responder's check of Frame2 besides the signature: the nonce it sent.
caf::error check_frame2_nonce(const frame2& f, const handshake_nonce& sent);

/// Cuts newline-terminated frames out of a byte stream, bounded per line.
class line_splitter {
public:
  explicit line_splitter(size_t max_line) : max_line_(max_line) {}

  void feed(byte_span bytes);
  /// The next line including its "\n"; nullopt if none is complete yet;
  /// oversized when max_line bytes arrived without a newline.
  expected<std::optional<std::string>> next();
  /// Bytes buffered after the last returned line (e.g. the first Noise
  /// bytes when a peer pipelines); empties the buffer.
  std::vector<uint8_t> take_rest();

private:
  std::vector<uint8_t> buf_;
  size_t max_line_;
};

// ---- settlement (§3.4) -----------------------------------------------------------

/// The single status byte the responder writes.
enum class settlement_status : uint8_t {
  rejected = 0,
  ok = 1,
  signature_error = 2,
  invalid_entry = 3,
};
const char* to_string(settlement_status s) noexcept;

/// Exactly one byte with a known code.
expected<settlement_status> decode_settlement_status(byte_span in);

/// The initiator's message: json.Encode(SignedEntry), "\n" included.
std::string encode_settlement_message(const signed_entry& se);
expected<signed_entry> decode_settlement_message(std::string_view text);

/// The responder's check of the received entry against the one it computed
/// (t_id, edges and type; the label is not compared, as in the reference).
caf::error check_settlement_entry(const entry& got, const entry& expected_entry);

} // namespace skywire::wire::transport
