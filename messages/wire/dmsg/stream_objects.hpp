// dmsg stream handshake objects: StreamRequest / StreamResponse as Go's
// encoding/gob writes them, and the SignedObject that carries them
// (sig[65] || gob). The signature is over SHA-256 of the gob bytes; callers
// hash and sign with runtime/crypto (messages/ stays free of crypto).
// The session-level framing ([u16 len][u64 nonce][ciphertext]) lives with the
// session code; this file deals with the plaintext object only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/gob/decoder.hpp"
#include "messages/wire/gob/encoder.hpp"

namespace skywire::wire::dmsg {

/// dmsg.StreamRequest.
struct stream_request {
  int64_t timestamp = 0; ///< unix nanoseconds
  address src;
  address dst;
  std::vector<uint8_t> noise_msg; ///< Noise KK message 1 (no length prefix)
  friend bool operator==(const stream_request&, const stream_request&) = default;
};

/// dmsg.StreamResponse.
struct stream_response {
  sha256_digest req_hash; ///< SHA-256 of the whole signed request object
  bool accepted = false;
  uint16_t err_code = 0;
  std::vector<uint8_t> noise_msg; ///< Noise KK message 2
  friend bool operator==(const stream_response&, const stream_response&) = default;
};

/// Go's types: StreamRequest{Timestamp int64; SrcAddr, DstAddr Addr; NoiseMsg []byte},
/// Addr{PK cipher.PubKey (BinaryMarshaler); Port uint16},
/// StreamResponse{ReqHash cipher.SHA256 ([32]byte array); Accepted bool; ErrCode uint16; NoiseMsg []byte}.
/// The same schema objects are returned every time, so one process_types
/// assigns each of them one id, as a Go process does.
const gob::schema_ptr& stream_request_schema();
const gob::schema_ptr& stream_response_schema();

gob::value to_gob(const stream_request& x);
gob::value to_gob(const stream_response& x);

/// Typed views of decoded values; fields are matched by Go name (missing
/// fields are zero, extra fields ignored, wrong kinds are errors).
expected<stream_request> stream_request_from_gob(const gob::decoder& dec, const gob::value& v);
expected<stream_response> stream_response_from_gob(const gob::decoder& dec, const gob::value& v);

/// Encodes like the reference's encodeGob: a fresh gob.Encoder per object (so
/// every object carries its type definitions) with the type ids of `proc`, the
/// modelled process (a fresh one when null: ids start at 65).
std::vector<uint8_t> encode_gob(const stream_request& x,
                                std::shared_ptr<gob::process_types> proc = nullptr);
std::vector<uint8_t> encode_gob(const stream_response& x,
                                std::shared_ptr<gob::process_types> proc = nullptr);

/// Decoder limits fit for one dmsg object (a few hundred bytes).
gob::limits object_limits() noexcept;

/// Decodes the gob part of an object with a fresh decoder (as the reference does).
expected<stream_request> decode_stream_request(byte_span gob_bytes);
expected<stream_response> decode_stream_response(byte_span gob_bytes);

/// Decodes with a decoder that may already hold the types (connection state).
expected<stream_request> decode_stream_request(gob::decoder& dec, byte_span gob_bytes);
expected<stream_response> decode_stream_response(gob::decoder& dec, byte_span gob_bytes);

/// A signed object: 65-byte signature followed by the gob bytes.
struct signed_object_view {
  signature sig;
  byte_span gob; ///< points into the input
};

inline constexpr size_t signature_size = 65;
/// Upper bound on a signed object: it travels in a u16-length session frame.
inline constexpr size_t max_signed_object = 65535;

/// Splits sig || gob. Errors: shorter than 66 bytes, longer than max_signed_object.
expected<signed_object_view> split_signed_object(byte_span in);

/// sig || gob.
std::vector<uint8_t> make_signed_object(const signature& sig, byte_span gob_bytes);

} // namespace skywire::wire::dmsg
