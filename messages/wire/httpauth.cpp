#include "messages/wire/httpauth.hpp"

#include <algorithm>

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire {

namespace {

constexpr size_t max_public_ip = 45; // longest IPv6 text form

bool ip_chars(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
           || c == '.' || c == ':';
  });
}

caf::error header_error(std::string_view name, wire_errc code, std::string_view why) {
  std::string ctx{name};
  ctx += ": ";
  ctx += why;
  return make_error(code, std::move(ctx));
}

} // namespace

std::vector<uint8_t> httpauth_payload(byte_span body, uint64_t nonce) {
  auto digits = std::to_string(nonce);
  std::vector<uint8_t> out;
  out.reserve(body.size() + digits.size());
  out.insert(out.end(), body.begin(), body.end());
  out.insert(out.end(), digits.begin(), digits.end());
  return out;
}

std::vector<uint8_t> httpauth_payload(std::string_view body, uint64_t nonce) {
  return httpauth_payload(byte_span{reinterpret_cast<const uint8_t*>(body.data()), body.size()},
                          nonce);
}

std::vector<std::pair<std::string, std::string>>
httpauth_header_list(const httpauth_headers& h) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back(httpauth_header_public, h.pk.hex());
  out.emplace_back(httpauth_header_nonce, std::to_string(h.nonce));
  out.emplace_back(httpauth_header_sig, h.sig.hex());
  if (h.public_ip)
    out.emplace_back(httpauth_header_public_ip, *h.public_ip);
  return out;
}

expected<httpauth_headers> parse_httpauth_headers(const httpauth_raw_headers& raw) {
  httpauth_headers h;
  if (!raw.pk)
    return header_error(httpauth_header_public, wire_errc::malformed, "missing");
  if (raw.pk->size() != 66)
    return header_error(httpauth_header_public, wire_errc::malformed, "expected 66 hex digits");
  auto pk = public_key::from_hex(*raw.pk);
  if (!pk)
    return header_error(httpauth_header_public, wire_errc::bad_value, describe(pk.error()));
  if (pk->is_null())
    return header_error(httpauth_header_public, wire_errc::bad_value, "null public key");
  h.pk = *pk;

  if (!raw.nonce)
    return header_error(httpauth_header_nonce, wire_errc::malformed, "missing");
  auto n = *raw.nonce;
  if (n.empty() || n.size() > 20 || !std::all_of(n.begin(), n.end(), [](char c) {
        return c >= '0' && c <= '9';
      }))
    return header_error(httpauth_header_nonce, wire_errc::malformed,
                        "expected a decimal unsigned integer");
  if (n.size() > 1 && n[0] == '0')
    return header_error(httpauth_header_nonce, wire_errc::malformed, "leading zeros");
  uint64_t nonce = 0;
  for (char c : n) {
    auto d = static_cast<uint64_t>(c - '0');
    if (nonce > (UINT64_MAX - d) / 10)
      return header_error(httpauth_header_nonce, wire_errc::bad_value, "exceeds uint64");
    nonce = nonce * 10 + d;
  }
  h.nonce = nonce;

  if (!raw.sig)
    return header_error(httpauth_header_sig, wire_errc::malformed, "missing");
  if (raw.sig->size() != 130)
    return header_error(httpauth_header_sig, wire_errc::malformed, "expected 130 hex digits");
  if (auto err = from_hex(*raw.sig, h.sig.bytes))
    return header_error(httpauth_header_sig, wire_errc::malformed, describe(err));
  if (h.sig.is_null())
    return header_error(httpauth_header_sig, wire_errc::bad_value, "null signature");

  if (raw.public_ip) {
    auto ip = *raw.public_ip;
    if (ip.empty() || ip.size() > max_public_ip || !ip_chars(ip))
      return header_error(httpauth_header_public_ip, wire_errc::bad_value,
                          "expected an IP address");
    h.public_ip.emplace(ip);
  }
  return h;
}

std::string encode_nonce_response(const nonce_response& r) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("edge").string(r.edge.hex());
  w.key("next_nonce").uinteger(r.next_nonce);
  w.end_object();
  return out;
}

expected<nonce_response> decode_nonce_response(std::string_view text) {
  auto v = transport::parse_json(text, max_httpauth_json, 2);
  if (!v)
    return std::move(v.error());
  auto o = transport::object_reader::from(*v, "NextNonceResponse");
  if (!o)
    return std::move(o.error());
  nonce_response r;
  if (auto err = o->get_public_key("edge", r.edge))
    return err;
  if (auto err = o->get_uint("next_nonce", UINT64_MAX, r.next_nonce))
    return err;
  return r;
}

std::string encode_httpauth_error(const httpauth_error& e) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("error").begin_object();
  w.key("message").string(e.message);
  w.key("code").integer(e.code);
  w.end_object();
  w.end_object();
  out += '\n';
  return out;
}

expected<httpauth_error> decode_httpauth_error(std::string_view text) {
  auto v = transport::parse_json(text, max_httpauth_json, 3);
  if (!v)
    return std::move(v.error());
  auto o = transport::object_reader::from(*v, "HTTPResponse");
  if (!o)
    return std::move(o.error());
  const boost::json::object* eo = nullptr;
  if (auto err = o->get_object("error", eo))
    return err;
  transport::object_reader er{*eo, "HTTPResponse.error"};
  httpauth_error e;
  if (auto err = er.get_string("message", e.message, max_httpauth_error_message))
    return err;
  if (auto err = er.get_int("code", e.code))
    return err;
  return e;
}

bool httpauth_should_refetch_nonce(const httpauth_error& e) noexcept {
  return e.code == 401 || e.message == httpauth_nonce_mismatch;
}

} // namespace skywire::wire
