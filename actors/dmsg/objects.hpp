// dmsg stream handshake objects as both ends of a relay use them: make (sign)
// and verify the SignedObject carrying a StreamRequest or a StreamResponse,
// the dmsg error codes, and a bounded reader for the session-encrypted object
// frames (`u16 BE len | u64 BE nonce | ct+tag`) inside a yamux stream.
//
// Shared by the dmsg client (actors/dmsg) and the dmsg server
// (actors/services/dmsg_server*). Pure functions and one plain class: no
// actors, no sockets.
//
// Rules (dmsg-protocol.md §3, skywire-protocol.md §3.2):
//  * signature = Sign(SHA-256(gob bytes)) by SrcAddr.PK (request) or by the
//    request's DstAddr.PK (response); verified with Skycoin's rules;
//  * both PKs non-null, both ports != 0, timestamp > 0 (and, when asked,
//    within a window around now);
//  * ReqHash = SHA-256 of the whole signed request (sig || gob);
//  * the signed bytes are never re-encoded: what was verified is what is
//    forwarded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/dmsg/stream_objects.hpp"
#include "runtime/crypto/noise/session.hpp"

namespace skywire::dmsg {

// -- dmsg error codes (the reference's numeric codes) -----------------------------

enum class dmsg_errc : uint16_t {
  // 1xx discovery
  entry_not_found = 100,
  entry_not_server = 101,
  entry_not_client = 102,
  no_delegated_servers = 103,
  // 2xx entity
  entity_closed = 200,
  session_closed = 201,
  cannot_connect_to_delegated = 202,
  extra_handshake_bytes = 203,
  // 3xx request / response
  req_invalid_sig = 300,
  req_invalid_timestamp = 301,
  req_invalid_src_pk = 302,
  req_invalid_dst_pk = 303,
  req_invalid_src_port = 304,
  req_invalid_dst_port = 305,
  req_no_listener = 306,
  req_no_next_session = 307,
  resp_invalid_sig = 350,
  resp_invalid_hash = 351,
  resp_not_accepted = 352,
  signed_object_invalid = 370,
  // 4xx listener
  listener_port_occupied = 400,
  listener_accept_queue_full = 401,
};

/// The reference's text ("entry is not found in discovery", ...).
const char* to_string(dmsg_errc x) noexcept;

/// Category atom of dmsg errors ("dmsg").
caf::atom_value dmsg_category() noexcept;

/// A caf::error with category "dmsg"; its code is the numeric dmsg code.
caf::error make_error(dmsg_errc code, std::string context = {});

/// The dmsg code of an error of the dmsg category, else nullopt.
std::optional<dmsg_errc> dmsg_code(const caf::error& err) noexcept;

// -- signed objects ----------------------------------------------------------------

/// A verified (or freshly made) StreamRequest and the exact bytes that carry it.
struct signed_request {
  wire::dmsg::stream_request req;
  std::vector<uint8_t> bytes; ///< sig[65] || gob: what travels inside the session encryption
  sha256_digest hash;         ///< SHA-256(bytes): the ReqHash a response must carry
};

/// A verified (or freshly made) StreamResponse and its exact bytes.
struct signed_response {
  wire::dmsg::stream_response resp;
  std::vector<uint8_t> bytes; ///< sig[65] || gob
};

/// Signs a request with the source's secret key (sk must belong to
/// req.src.pk; not checked here). `proc` models the sending process's gob
/// type ids (fresh process when null).
signed_request make_stream_request(const wire::dmsg::stream_request& req, const secret_key& sk,
                                   std::shared_ptr<wire::gob::process_types> proc = nullptr);

/// Signs a response with the destination's secret key.
signed_response make_stream_response(const wire::dmsg::stream_response& resp,
                                     const secret_key& sk,
                                     std::shared_ptr<wire::gob::process_types> proc = nullptr);

/// What verify_stream_request checks beyond the always-on rules (signature by
/// SrcAddr.PK, non-null PKs, ports != 0, timestamp > 0).
struct request_checks {
  /// Server: the session's client PK (SrcAddr.PK must equal it, else 302).
  std::optional<public_key> expect_src;
  /// Client B: its own PK (DstAddr.PK must equal it, else 303).
  std::optional<public_key> expect_dst;
  /// Unix ns "now"; when non-zero the timestamp must lie in
  /// [now - max_age_ns, now + max_future_ns] (else 301).
  int64_t now_ns = 0;
  int64_t max_age_ns = int64_t{10} * 60 * 1'000'000'000;   ///< 10 min
  int64_t max_future_ns = int64_t{10} * 60 * 1'000'000'000; ///< 10 min (clock skew)
  /// false: everything but the signature (the caller verifies it later with
  /// verify_request_signature, off the critical path of the open).
  bool signature = true;
};

/// Decodes and verifies a signed request (sig || gob, decrypted already).
/// Errors carry dmsg codes: 370 (malformed object or gob), 300 (signature),
/// 301 (timestamp), 302-305 (keys, ports).
expected<signed_request> verify_stream_request(byte_span signed_bytes,
                                               const request_checks& checks = {});

/// Decodes and verifies a signed response to the request whose hash is
/// `req_hash`, signed by `responder` (the request's DstAddr.PK).
/// Errors: 370 (malformed), 351 (hash mismatch), 350 (signature),
/// 352 (Accepted == false; only when require_accepted).
expected<signed_response> verify_stream_response(byte_span signed_bytes,
                                                 const sha256_digest& req_hash,
                                                 const public_key& responder,
                                                 bool require_accepted = false,
                                                 bool check_signature = true);

/// The signature checks alone (for callers that forward or answer first and
/// verify right after: the server, and client B; see docs/protocol/dmsg-server.md).
/// Errors: 300 / 350 as above, 370 if the object does not split.
caf::error verify_request_signature(byte_span signed_bytes, const public_key& src);
caf::error verify_response_signature(byte_span signed_bytes, const public_key& responder);

// -- session-encrypted object frames ----------------------------------------------

/// Appends `u16 len | u64 nonce | ct+tag` of signed_bytes encrypted with the
/// session (the dmsg session's XK keys).
caf::error seal_object(crypto::noise::session& s, byte_span signed_bytes,
                       std::vector<uint8_t>& out);

/// Collects the bytes of one object frame from yamux stream data (which may
/// split or join frames arbitrarily). Holds at most 2 + 65535 bytes.
class object_reader {
public:
  /// Appends stream bytes. Returns true once a whole frame is buffered; bytes
  /// after the frame are kept as leftover() (stream data that followed the
  /// object, e.g. a responder writing at once). An oversized frame length is
  /// impossible (u16), an undersized one (< 24) is an error (370).
  expected<bool> feed(byte_span bytes);

  bool complete() const noexcept { return complete_; }

  /// Decrypts the complete frame with the session (replay-checked).
  expected<std::vector<uint8_t>> open(crypto::noise::session& s) const;

  /// Bytes that arrived after the object frame.
  std::vector<uint8_t>& leftover() noexcept { return leftover_; }

  size_t buffered() const noexcept { return buf_.size(); }

private:
  std::vector<uint8_t> buf_;
  std::vector<uint8_t> leftover_;
  bool complete_ = false;
};

} // namespace skywire::dmsg
