#include "actors/dmsg/objects.hpp"

#include <caf/atom.hpp>
#include <caf/make_message.hpp>

#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::dmsg {

namespace wd = wire::dmsg;

const char* to_string(dmsg_errc x) noexcept {
  switch (x) {
    case dmsg_errc::entry_not_found: return "entry is not found in discovery";
    case dmsg_errc::entry_not_server: return "entry is not of a server";
    case dmsg_errc::entry_not_client: return "entry is not of a client";
    case dmsg_errc::no_delegated_servers: return "entry has no delegated servers";
    case dmsg_errc::entity_closed: return "local entity closed";
    case dmsg_errc::session_closed: return "session closed";
    case dmsg_errc::cannot_connect_to_delegated: return "cannot connect to delegated server";
    case dmsg_errc::extra_handshake_bytes: return "extra bytes received during session handshake";
    case dmsg_errc::req_invalid_sig: return "request has invalid signature";
    case dmsg_errc::req_invalid_timestamp: return "request has invalid timestamp";
    case dmsg_errc::req_invalid_src_pk: return "request has invalid source public key";
    case dmsg_errc::req_invalid_dst_pk: return "request has invalid destination public key";
    case dmsg_errc::req_invalid_src_port: return "request has invalid source port";
    case dmsg_errc::req_invalid_dst_port: return "request has invalid destination port";
    case dmsg_errc::req_no_listener: return "request has no associated listener";
    case dmsg_errc::req_no_next_session:
      return "request cannot be forwarded because the next session is non-existent";
    case dmsg_errc::resp_invalid_sig: return "response has invalid signature";
    case dmsg_errc::resp_invalid_hash: return "response has invalid hash of associated request";
    case dmsg_errc::resp_not_accepted: return "response rejected associated request";
    case dmsg_errc::signed_object_invalid: return "signed object is invalid";
    case dmsg_errc::listener_port_occupied: return "port occupied";
    case dmsg_errc::listener_accept_queue_full: return "listener accept chan maxed";
  }
  return "unknown dmsg error";
}

caf::atom_value dmsg_category() noexcept {
  return caf::atom("dmsg");
}

namespace {

// caf::error codes are uint8_t, so an error's code is the 1-based index into
// this table of dmsg codes (dmsg_code() maps it back); the text has the number.
constexpr uint16_t dmsg_code_table[] = {100, 101, 102, 103, 200, 201, 202, 203, 300, 301, 302,
                                        303, 304, 305, 306, 307, 350, 351, 352, 370, 400, 401};

const char* dmsg_code_name(uint8_t idx) noexcept {
  if (idx == 0 || idx > std::size(dmsg_code_table))
    return "unknown dmsg error";
  return to_string(static_cast<dmsg_errc>(dmsg_code_table[idx - 1]));
}

} // namespace

caf::error make_error(dmsg_errc code, std::string context) {
  // the text says it all ("dmsg error 100 - entry is not found in discovery")
  static const bool registered =
    (register_error_category(dmsg_category(), dmsg_code_name, true), true);
  (void)registered;
  std::string text = "dmsg error " + std::to_string(static_cast<unsigned>(code)) + " - "
                     + to_string(code);
  if (!context.empty())
    text += ": " + context;
  uint8_t idx = 0;
  for (uint8_t i = 0; i < std::size(dmsg_code_table); ++i)
    if (dmsg_code_table[i] == static_cast<uint16_t>(code))
      idx = static_cast<uint8_t>(i + 1);
  return caf::error{idx, dmsg_category(), caf::make_message(std::move(text))};
}

std::optional<dmsg_errc> dmsg_code(const caf::error& err) noexcept {
  if (!err || err.category() != dmsg_category())
    return std::nullopt;
  auto idx = err.code();
  if (idx == 0 || idx > std::size(dmsg_code_table))
    return std::nullopt;
  return static_cast<dmsg_errc>(dmsg_code_table[idx - 1]);
}

// -- signed objects ---------------------------------------------------------------

signed_request make_stream_request(const wd::stream_request& req, const secret_key& sk,
                                   std::shared_ptr<wire::gob::process_types> proc) {
  auto gob = wd::encode_gob(req, std::move(proc));
  auto sig = crypto::sign(gob, sk);
  signed_request out;
  out.req = req;
  out.bytes = wd::make_signed_object(sig, gob);
  out.hash = crypto::sha256(out.bytes);
  return out;
}

signed_response make_stream_response(const wd::stream_response& resp, const secret_key& sk,
                                     std::shared_ptr<wire::gob::process_types> proc) {
  auto gob = wd::encode_gob(resp, std::move(proc));
  auto sig = crypto::sign(gob, sk);
  signed_response out;
  out.resp = resp;
  out.bytes = wd::make_signed_object(sig, gob);
  return out;
}

expected<signed_request> verify_stream_request(byte_span signed_bytes,
                                               const request_checks& checks) {
  auto view = wd::split_signed_object(signed_bytes);
  if (!view)
    return make_error(dmsg_errc::signed_object_invalid, describe(view.error()));
  auto req = wd::decode_stream_request(view->gob);
  if (!req)
    return make_error(dmsg_errc::signed_object_invalid, describe(req.error()));
  if (req->src.pk.is_null())
    return make_error(dmsg_errc::req_invalid_src_pk, "null");
  if (req->dst.pk.is_null())
    return make_error(dmsg_errc::req_invalid_dst_pk, "null");
  if (req->src.prt.value == 0)
    return make_error(dmsg_errc::req_invalid_src_port, "0");
  if (req->dst.prt.value == 0)
    return make_error(dmsg_errc::req_invalid_dst_port, "0");
  if (checks.expect_src && req->src.pk != *checks.expect_src)
    return make_error(dmsg_errc::req_invalid_src_pk, "not the session's key");
  if (checks.expect_dst && req->dst.pk != *checks.expect_dst)
    return make_error(dmsg_errc::req_invalid_dst_pk, "not our key");
  if (req->timestamp <= 0)
    return make_error(dmsg_errc::req_invalid_timestamp, "not positive");
  if (checks.now_ns != 0) {
    // Compare without overflow: timestamps are positive here.
    if (req->timestamp < checks.now_ns && checks.now_ns - req->timestamp > checks.max_age_ns)
      return make_error(dmsg_errc::req_invalid_timestamp, "too old");
    if (req->timestamp > checks.now_ns && req->timestamp - checks.now_ns > checks.max_future_ns)
      return make_error(dmsg_errc::req_invalid_timestamp, "in the future");
  }
  if (checks.signature)
    if (auto err = crypto::verify(view->gob, req->src.pk, view->sig))
      return make_error(dmsg_errc::req_invalid_sig, describe(err));
  signed_request out;
  out.req = std::move(*req);
  out.bytes.assign(signed_bytes.begin(), signed_bytes.end());
  out.hash = crypto::sha256(signed_bytes);
  return out;
}

expected<signed_response> verify_stream_response(byte_span signed_bytes,
                                                 const sha256_digest& req_hash,
                                                 const public_key& responder,
                                                 bool require_accepted,
                                                 bool check_signature) {
  auto view = wd::split_signed_object(signed_bytes);
  if (!view)
    return make_error(dmsg_errc::signed_object_invalid, describe(view.error()));
  auto resp = wd::decode_stream_response(view->gob);
  if (!resp)
    return make_error(dmsg_errc::signed_object_invalid, describe(resp.error()));
  if (resp->req_hash != req_hash)
    return make_error(dmsg_errc::resp_invalid_hash);
  if (check_signature)
    if (auto err = crypto::verify(view->gob, responder, view->sig))
      return make_error(dmsg_errc::resp_invalid_sig, describe(err));
  if (require_accepted && !resp->accepted)
    return make_error(dmsg_errc::resp_not_accepted,
                      "code " + std::to_string(resp->err_code));
  signed_response out;
  out.resp = std::move(*resp);
  out.bytes.assign(signed_bytes.begin(), signed_bytes.end());
  return out;
}

caf::error verify_request_signature(byte_span signed_bytes, const public_key& src) {
  auto view = wd::split_signed_object(signed_bytes);
  if (!view)
    return make_error(dmsg_errc::signed_object_invalid, describe(view.error()));
  if (auto err = crypto::verify(view->gob, src, view->sig))
    return make_error(dmsg_errc::req_invalid_sig, describe(err));
  return {};
}

caf::error verify_response_signature(byte_span signed_bytes, const public_key& responder) {
  auto view = wd::split_signed_object(signed_bytes);
  if (!view)
    return make_error(dmsg_errc::signed_object_invalid, describe(view.error()));
  if (auto err = crypto::verify(view->gob, responder, view->sig))
    return make_error(dmsg_errc::resp_invalid_sig, describe(err));
  return {};
}

// -- session-encrypted object frames ---------------------------------------------

caf::error seal_object(crypto::noise::session& s, byte_span signed_bytes,
                       std::vector<uint8_t>& out) {
  return s.encrypt_object(signed_bytes, out);
}

expected<bool> object_reader::feed(byte_span bytes) {
  namespace nz = crypto::noise;
  if (complete_) {
    leftover_.insert(leftover_.end(), bytes.begin(), bytes.end());
    return true;
  }
  size_t need = nz::frame_prefix_len;
  if (buf_.size() >= nz::frame_prefix_len)
    need += size_t{buf_[0]} << 8 | buf_[1];
  // Take only what the frame needs; the rest is leftover.
  while (!bytes.empty()) {
    if (buf_.size() < nz::frame_prefix_len) {
      size_t take = std::min(nz::frame_prefix_len - buf_.size(), bytes.size());
      buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + take);
      bytes = bytes.subspan(take);
      if (buf_.size() < nz::frame_prefix_len)
        return false;
      size_t len = size_t{buf_[0]} << 8 | buf_[1];
      if (len < nz::min_frame_body)
        return make_error(dmsg_errc::signed_object_invalid,
                          "object frame of " + std::to_string(len) + " bytes");
      need = nz::frame_prefix_len + len;
      buf_.reserve(need);
    }
    size_t take = std::min(need - buf_.size(), bytes.size());
    buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + take);
    bytes = bytes.subspan(take);
    if (buf_.size() == need) {
      complete_ = true;
      leftover_.assign(bytes.begin(), bytes.end());
      return true;
    }
  }
  return false;
}

expected<std::vector<uint8_t>> object_reader::open(crypto::noise::session& s) const {
  if (!complete_)
    return make_error(dmsg_errc::signed_object_invalid, "incomplete object frame");
  auto plain = s.decrypt_object(buf_);
  if (!plain)
    return make_error(dmsg_errc::signed_object_invalid, describe(plain.error()));
  return plain;
}

} // namespace skywire::dmsg
