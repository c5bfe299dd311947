#include "messages/wire/dmsg/stream_objects.hpp"

namespace skywire::wire::dmsg {

namespace {

using gob::schema;
using gob::value;
using tag = gob::value::tag;

const gob::schema_ptr& pubkey_schema() {
  static const auto s = schema::binary_marshaler("PubKey");
  return s;
}

const gob::schema_ptr& addr_schema() {
  static const auto s = schema::struct_("Addr", {{"PK", pubkey_schema()}, {"Port", schema::uint_()}});
  return s;
}

const gob::schema_ptr& sha256_schema() {
  static const auto s = schema::array("SHA256", schema::uint_(), 32);
  return s;
}

value addr_to_gob(const address& a) {
  return value::of_struct({value::of_marshaled({a.pk.bytes.begin(), a.pk.bytes.end()}),
                           value::of_uint(a.prt.value)});
}

caf::error kind_error(const char* field) {
  return make_error(wire_errc::bad_value, std::string("dmsg object: field ") + field
                                            + " has the wrong gob type");
}

const value* get(const gob::decoder& dec, const value& v, const char* name) {
  return dec.field(v, name);
}

caf::error read_int(const value* f, const char* name, int64_t& out) {
  if (!f || f->is_none())
    return {};
  if (f->t != tag::int_)
    return kind_error(name);
  out = f->i;
  return {};
}

caf::error read_u16(const value* f, const char* name, uint16_t& out) {
  if (!f || f->is_none())
    return {};
  if (f->t != tag::uint_)
    return kind_error(name);
  if (f->u > 0xffff)
    return make_error(wire_errc::bad_value, std::string("dmsg object: ") + name + " out of range");
  out = static_cast<uint16_t>(f->u);
  return {};
}

caf::error read_bool(const value* f, const char* name, bool& out) {
  if (!f || f->is_none())
    return {};
  if (f->t != tag::boolean)
    return kind_error(name);
  out = f->u != 0;
  return {};
}

caf::error read_bytes(const value* f, const char* name, std::vector<uint8_t>& out) {
  if (!f || f->is_none())
    return {};
  if (f->t != tag::bytes)
    return kind_error(name);
  out = f->data;
  return {};
}

caf::error read_addr(const gob::decoder& dec, const value* f, const char* name, address& out) {
  if (!f || f->is_none())
    return {};
  if (f->t != tag::struct_)
    return kind_error(name);
  if (auto* pk = get(dec, *f, "PK"); pk && !pk->is_none()) {
    if (pk->t != tag::marshaled && pk->t != tag::bytes)
      return kind_error("PK");
    // cipher.PubKey.UnmarshalBinary accepts exactly 33 bytes (or none).
    if (pk->data.size() != 33 && !pk->data.empty())
      return make_error(wire_errc::bad_value, "dmsg object: public key of "
                                                + std::to_string(pk->data.size()) + " bytes");
    if (!pk->data.empty())
      std::copy(pk->data.begin(), pk->data.end(), out.pk.bytes.begin());
  }
  uint16_t port = 0;
  if (auto err = read_u16(get(dec, *f, "Port"), "Port", port))
    return err;
  out.prt = skywire::port{port};
  return {};
}

// Go's rule: the wire struct must share at least one field name with ours.
caf::error check_struct(const gob::decoder& dec, const value& v, const char* what,
                        std::initializer_list<const char*> names) {
  auto* t = dec.type_of(v);
  if (v.t != tag::struct_ || !t || t->k != gob::kind::struct_)
    return make_error(wire_errc::bad_value, std::string("dmsg object: expected a ") + what
                                              + " struct");
  for (auto* n : names)
    if (gob::type_table::field_index(*t, n) >= 0)
      return {};
  return make_error(wire_errc::bad_value, std::string("dmsg object: no fields matched ") + what);
}

} // namespace

const gob::schema_ptr& stream_request_schema() {
  static const auto s = schema::struct_("StreamRequest", {{"Timestamp", schema::int_()},
                                                          {"SrcAddr", addr_schema()},
                                                          {"DstAddr", addr_schema()},
                                                          {"NoiseMsg", schema::bytes()}});
  return s;
}

const gob::schema_ptr& stream_response_schema() {
  static const auto s = schema::struct_("StreamResponse", {{"ReqHash", sha256_schema()},
                                                           {"Accepted", schema::boolean()},
                                                           {"ErrCode", schema::uint_()},
                                                           {"NoiseMsg", schema::bytes()}});
  return s;
}

value to_gob(const stream_request& x) {
  return value::of_struct({value::of_int(x.timestamp), addr_to_gob(x.src), addr_to_gob(x.dst),
                           value::of_bytes(x.noise_msg)});
}

value to_gob(const stream_response& x) {
  return value::of_struct({value::of_byte_array(x.req_hash.data(), 32),
                           value::of_bool(x.accepted), value::of_uint(x.err_code),
                           value::of_bytes(x.noise_msg)});
}

expected<stream_request> stream_request_from_gob(const gob::decoder& dec, const value& v) {
  if (auto err = check_struct(dec, v, "StreamRequest",
                               {"Timestamp", "SrcAddr", "DstAddr", "NoiseMsg"}))
    return err;
  stream_request out;
  if (auto err = read_int(get(dec, v, "Timestamp"), "Timestamp", out.timestamp))
    return err;
  if (auto err = read_addr(dec, get(dec, v, "SrcAddr"), "SrcAddr", out.src))
    return err;
  if (auto err = read_addr(dec, get(dec, v, "DstAddr"), "DstAddr", out.dst))
    return err;
  if (auto err = read_bytes(get(dec, v, "NoiseMsg"), "NoiseMsg", out.noise_msg))
    return err;
  return out;
}

expected<stream_response> stream_response_from_gob(const gob::decoder& dec, const value& v) {
  if (auto err = check_struct(dec, v, "StreamResponse",
                               {"ReqHash", "Accepted", "ErrCode", "NoiseMsg"}))
    return err;
  stream_response out;
  if (auto* h = get(dec, v, "ReqHash"); h && !h->is_none()) {
    std::vector<uint8_t> bytes;
    if (h->t != tag::array || !h->byte_array(bytes) || bytes.size() != 32)
      return kind_error("ReqHash");
    std::copy(bytes.begin(), bytes.end(), out.req_hash.bytes.begin());
  }
  if (auto err = read_bool(get(dec, v, "Accepted"), "Accepted", out.accepted))
    return err;
  if (auto err = read_u16(get(dec, v, "ErrCode"), "ErrCode", out.err_code))
    return err;
  if (auto err = read_bytes(get(dec, v, "NoiseMsg"), "NoiseMsg", out.noise_msg))
    return err;
  return out;
}

std::vector<uint8_t> encode_gob(const stream_request& x, std::shared_ptr<gob::process_types> proc) {
  gob::encoder enc{std::move(proc)};
  std::vector<uint8_t> out;
  // Cannot fail: the value is built to fit the schema.
  auto err = enc.encode(stream_request_schema(), to_gob(x), out);
  static_cast<void>(err);
  return out;
}

std::vector<uint8_t> encode_gob(const stream_response& x, std::shared_ptr<gob::process_types> proc) {
  gob::encoder enc{std::move(proc)};
  std::vector<uint8_t> out;
  auto err = enc.encode(stream_response_schema(), to_gob(x), out);
  static_cast<void>(err);
  return out;
}

gob::limits object_limits() noexcept {
  gob::limits lim;
  lim.max_message = max_signed_object;
  lim.max_types = 64;
  lim.max_fields = 64;
  lim.max_name = 256;
  lim.max_depth = 16;
  lim.max_nodes = 4096;
  lim.max_array_len = 4096;
  return lim;
}

expected<stream_request> decode_stream_request(gob::decoder& dec, byte_span gob_bytes) {
  auto v = dec.decode_one(gob_bytes);
  if (!v)
    return std::move(v.error());
  return stream_request_from_gob(dec, *v);
}

expected<stream_response> decode_stream_response(gob::decoder& dec, byte_span gob_bytes) {
  auto v = dec.decode_one(gob_bytes);
  if (!v)
    return std::move(v.error());
  return stream_response_from_gob(dec, *v);
}

expected<stream_request> decode_stream_request(byte_span gob_bytes) {
  gob::decoder dec{object_limits()};
  return decode_stream_request(dec, gob_bytes);
}

expected<stream_response> decode_stream_response(byte_span gob_bytes) {
  gob::decoder dec{object_limits()};
  return decode_stream_response(dec, gob_bytes);
}

expected<signed_object_view> split_signed_object(byte_span in) {
  if (in.size() <= signature_size)
    return make_error(wire_errc::truncated, "dmsg signed object shorter than its signature");
  if (in.size() > max_signed_object)
    return make_error(wire_errc::oversized, "dmsg signed object too large");
  signed_object_view out;
  std::copy(in.begin(), in.begin() + signature_size, out.sig.bytes.begin());
  out.gob = in.subspan(signature_size);
  return out;
}

std::vector<uint8_t> make_signed_object(const signature& sig, byte_span gob_bytes) {
  std::vector<uint8_t> out;
  out.reserve(signature_size + gob_bytes.size());
  out.insert(out.end(), sig.bytes.begin(), sig.bytes.end());
  out.insert(out.end(), gob_bytes.begin(), gob_bytes.end());
  return out;
}

} // namespace skywire::wire::dmsg
