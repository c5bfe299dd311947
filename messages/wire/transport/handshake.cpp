#include "messages/wire/transport/handshake.hpp"

#include <algorithm>

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire::transport {

namespace bj = boost::json;

namespace {

void write_addr(json::writer& w, const address& a) {
  w.begin_object();
  w.key("public_key").string(a.pk.hex());
  w.key("port").uinteger(a.prt.value);
  w.end_object();
}

caf::error read_addr(const object_reader& parent, std::string_view key, address& a) {
  const bj::object* obj = nullptr;
  if (auto err = parent.get_object(key, obj))
    return err;
  object_reader o{*obj, parent.what() + "." + std::string{key}};
  if (auto err = o.get_public_key("public_key", a.pk))
    return err;
  uint64_t p = 0;
  if (auto err = o.get_uint("port", 0xffff, p))
    return err;
  a.prt = port{static_cast<uint16_t>(p)};
  return {};
}

caf::error read_nonce(const object_reader& o, handshake_nonce& nonce) {
  const bj::array* arr = nullptr;
  if (auto err = o.get_array("Nonce", arr, handshake_nonce_size))
    return err;
  if (arr->size() != handshake_nonce_size)
    return o.fail(wire_errc::malformed, "Nonce", "expected exactly 16 numbers");
  for (size_t i = 0; i < handshake_nonce_size; ++i) {
    uint64_t b = 0;
    if (auto err = json_uint((*arr)[i], 0xff, b))
      return o.fail(wire_errc::malformed, "Nonce", "elements must be integers 0..255");
    nonce[i] = static_cast<uint8_t>(b);
  }
  return {};
}

/// Parses one handshake line: bounded, newline-terminated, an object.
expected<bj::value> parse_line(std::string_view line, size_t max, const char* what) {
  if (line.size() > max)
    return make_error(wire_errc::oversized, std::string{what} + ": frame of "
                                              + std::to_string(line.size())
                                              + " bytes exceeds " + std::to_string(max));
  if (line.empty() || line.back() != '\n')
    return make_error(wire_errc::truncated, std::string{what} + ": missing trailing newline");
  return parse_json(line, max, 4);
}

std::string encode_frame2_with(const frame2& f, const signature& sig) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("SrcAddr");
  write_addr(w, f.src);
  w.key("DstAddr");
  write_addr(w, f.dst);
  w.key("Nonce").byte_array(f.nonce);
  w.key("Sig").string(sig.hex());
  w.end_object();
  out += '\n';
  return out;
}

} // namespace

caf::error check_frame0(byte_span in) {
  if (in.size() < frame0_text.size())
    return make_error(wire_errc::truncated, "Frame0: expected 9 bytes");
  if (in.size() > frame0_text.size()
      || !std::equal(in.begin(), in.end(), frame0_text.begin()))
    return make_error(wire_errc::malformed, "Frame0: expected \"get_nonce\"");
  return {};
}

std::string encode_frame1(const frame1& f) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("Nonce").byte_array(f.nonce);
  w.end_object();
  out += '\n';
  return out;
}

std::string encode_frame2(const frame2& f) {
  return encode_frame2_with(f, f.sig);
}

std::string frame2_signed_bytes(const frame2& f) {
  return encode_frame2_with(f, signature{});
}

std::string encode_frame3(const frame3& f) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("OK").boolean(f.ok);
  w.key("ErrMsg").string(f.err_msg);
  w.end_object();
  out += '\n';
  return out;
}

expected<frame1> decode_frame1(std::string_view line) {
  auto v = parse_line(line, max_handshake_frame, "Frame1");
  if (!v)
    return std::move(v.error());
  auto o = object_reader::from(*v, "Frame1");
  if (!o)
    return std::move(o.error());
  frame1 f;
  if (auto err = read_nonce(*o, f.nonce))
    return err;
  return f;
}

expected<frame2> decode_frame2(std::string_view line) {
  auto v = parse_line(line, max_handshake_frame, "Frame2");
  if (!v)
    return std::move(v.error());
  auto o = object_reader::from(*v, "Frame2");
  if (!o)
    return std::move(o.error());
  frame2 f;
  if (auto err = read_addr(*o, "SrcAddr", f.src))
    return err;
  if (auto err = read_addr(*o, "DstAddr", f.dst))
    return err;
  if (auto err = read_nonce(*o, f.nonce))
    return err;
  if (auto err = o->get_signature("Sig", f.sig))
    return err;
  return f;
}

expected<frame3> decode_frame3(std::string_view line) {
  auto v = parse_line(line, max_frame3, "Frame3");
  if (!v)
    return std::move(v.error());
  auto o = object_reader::from(*v, "Frame3");
  if (!o)
    return std::move(o.error());
  frame3 f;
  if (auto err = o->get_bool("OK", f.ok))
    return err;
  if (auto err = o->get_string("ErrMsg", f.err_msg, max_frame3_error))
    return err;
  return f;
}

caf::error check_frame2_nonce(const frame2& f, const handshake_nonce& sent) {
  if (f.nonce != sent)
    return make_error(wire_errc::bad_value, "Frame2: nonce differs from the one sent");
  return {};
}

// ---- line splitter ---------------------------------------------------------------

void line_splitter::feed(byte_span bytes) {
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

expected<std::optional<std::string>> line_splitter::next() {
  auto limit = std::min(buf_.size(), max_line_);
  auto end = buf_.begin() + static_cast<ptrdiff_t>(limit);
  auto nl = std::find(buf_.begin(), end, uint8_t{'\n'});
  if (nl == end) {
    if (buf_.size() >= max_line_)
      return make_error(wire_errc::oversized, "handshake frame exceeds "
                                                + std::to_string(max_line_)
                                                + " bytes without a newline");
    return std::optional<std::string>{};
  }
  std::string line(buf_.begin(), nl + 1);
  buf_.erase(buf_.begin(), nl + 1);
  return std::optional<std::string>{std::move(line)};
}

std::vector<uint8_t> line_splitter::take_rest() {
  return std::exchange(buf_, {});
}

// ---- settlement ------------------------------------------------------------------

const char* to_string(settlement_status s) noexcept {
  switch (s) {
    case settlement_status::rejected: return "rejected";
    case settlement_status::ok: return "ok";
    case settlement_status::signature_error: return "signature error";
    case settlement_status::invalid_entry: return "invalid entry";
  }
  return "unknown";
}

expected<settlement_status> decode_settlement_status(byte_span in) {
  if (in.empty())
    return make_error(wire_errc::truncated, "settlement: missing status byte");
  if (in.size() > 1)
    return make_error(wire_errc::malformed, "settlement: expected exactly one status byte");
  if (in[0] > 3)
    return make_error(wire_errc::bad_value, "settlement: unknown status "
                                              + std::to_string(in[0]));
  return static_cast<settlement_status>(in[0]);
}

std::string encode_settlement_message(const signed_entry& se) {
  return encode_signed_entry_line(se);
}

expected<signed_entry> decode_settlement_message(std::string_view text) {
  return decode_signed_entry_json(text);
}

caf::error check_settlement_entry(const entry& got, const entry& expected_entry) {
  if (got.id != expected_entry.id)
    return make_error(wire_errc::bad_value, "settlement: transport id differs");
  if (got.edges != expected_entry.edges)
    return make_error(wire_errc::bad_value, "settlement: edges differ");
  if (got.type != expected_entry.type)
    return make_error(wire_errc::bad_value, "settlement: transport type differs");
  return {};
}

} // namespace skywire::wire::transport
