#include "messages/wire/dmsgpty/pty_types.hpp"

#include <limits>

#include "messages/wire/rpc/net_rpc.hpp"

namespace skywire::wire::dmsgpty {

using gob::schema;
using gob::value;

const gob::schema_ptr& win_size_schema() {
  static const auto s = schema::struct_("WinSize", {{"X", schema::uint_()},
                                                    {"Y", schema::uint_()},
                                                    {"Rows", schema::uint_()},
                                                    {"Cols", schema::uint_()}});
  return s;
}

const gob::schema_ptr& command_req_schema() {
  static const auto args = schema::slice("[]string", schema::string());
  static const auto s = schema::struct_(
    "CommandReq", {{"Name", schema::string()}, {"Arg", args}, {"Size", win_size_schema()}});
  return s;
}

const gob::schema_ptr& empty_schema() {
  return rpc::invalid_request_schema();
}

const gob::schema_ptr& int_schema() {
  static const auto s = schema::int_();
  return s;
}

const gob::schema_ptr& bytes_schema() {
  static const auto s = schema::bytes();
  return s;
}

const gob::schema_ptr& pubkeys_schema() {
  static const auto s = schema::slice("", schema::binary_marshaler("PubKey"));
  return s;
}

value win_size_value(const win_size& w) {
  return value::of_struct({value::of_uint(w.x), value::of_uint(w.y), value::of_uint(w.rows),
                           value::of_uint(w.cols)});
}

value command_req_value(const command_req& c) {
  std::vector<value> args;
  args.reserve(c.args.size());
  for (const auto& a : c.args)
    args.push_back(value::of_string(a));
  // a nil *WinSize is an absent field
  return value::of_struct({value::of_string(c.name), value::of_slice(std::move(args)),
                           c.size ? win_size_value(*c.size) : value{}});
}

value empty_value() {
  return value::of_struct({});
}

value pubkeys_value(const std::vector<public_key>& pks) {
  std::vector<value> items;
  items.reserve(pks.size());
  for (const auto& pk : pks)
    items.push_back(value::of_marshaled({pk.bytes.begin(), pk.bytes.end()}));
  return value::of_slice(std::move(items));
}

namespace {

caf::error need_struct(const gob::decoder& dec, const value& v, const char* what) {
  if (v.t != value::tag::struct_ || dec.type_of(v) == nullptr)
    return make_error(wire_errc::malformed, std::string{"dmsgpty: "} + what + " is not a struct");
  return {};
}

expected<uint16_t> read_u16(const gob::decoder& dec, const value& v, const char* name) {
  const value* f = dec.field(v, name);
  if (f == nullptr || f->is_none())
    return uint16_t{0};
  if (f->t != value::tag::uint_ || f->u > std::numeric_limits<uint16_t>::max())
    return make_error(wire_errc::bad_value, std::string{"dmsgpty: WinSize."} + name);
  return static_cast<uint16_t>(f->u);
}

expected<std::string> read_text(const value& v, size_t max, const char* what) {
  if (v.is_none())
    return std::string{};
  if (v.t != value::tag::string && v.t != value::tag::bytes)
    return make_error(wire_errc::bad_value, std::string{"dmsgpty: "} + what + " is not a string");
  if (v.data.size() > max)
    return make_error(wire_errc::oversized, std::string{"dmsgpty: "} + what);
  return v.as_string();
}

} // namespace

expected<win_size> win_size_from_gob(const gob::decoder& dec, const value& v) {
  if (auto err = need_struct(dec, v, "WinSize"))
    return err;
  win_size w;
  auto x = read_u16(dec, v, "X");
  auto y = read_u16(dec, v, "Y");
  auto rows = read_u16(dec, v, "Rows");
  auto cols = read_u16(dec, v, "Cols");
  for (auto* e : {&x, &y, &rows, &cols})
    if (!*e)
      return e->error();
  w.x = *x;
  w.y = *y;
  w.rows = *rows;
  w.cols = *cols;
  return w;
}

expected<command_req> command_req_from_gob(const gob::decoder& dec, const value& v) {
  if (auto err = need_struct(dec, v, "CommandReq"))
    return err;
  command_req c;
  if (const value* n = dec.field(v, "Name")) {
    auto name = read_text(*n, max_command_name, "CommandReq.Name");
    if (!name)
      return name.error();
    c.name = std::move(*name);
  }
  if (const value* a = dec.field(v, "Arg"); a != nullptr && !a->is_none()) {
    if (a->t != value::tag::slice)
      return make_error(wire_errc::bad_value, "dmsgpty: CommandReq.Arg is not a slice");
    if (a->items.size() > max_command_args)
      return make_error(wire_errc::oversized, "dmsgpty: CommandReq.Arg has too many items");
    for (const auto& item : a->items) {
      auto s = read_text(item, max_command_arg, "CommandReq.Arg item");
      if (!s)
        return s.error();
      c.args.push_back(std::move(*s));
    }
  }
  if (const value* s = dec.field(v, "Size"); s != nullptr && !s->is_none()) {
    auto w = win_size_from_gob(dec, *s);
    if (!w)
      return w.error();
    // all zero reads as unset: a 0x0 window is what a pty without a size has
    if (!(*w == win_size{}))
      c.size = *w;
  }
  return c;
}

expected<int64_t> int_from_gob(const value& v) {
  if (v.is_none())
    return int64_t{0};
  if (v.t != value::tag::int_)
    return make_error(wire_errc::bad_value, "dmsgpty: expected an int");
  if (v.i < 0)
    return make_error(wire_errc::bad_value, "dmsgpty: negative count");
  return v.i;
}

expected<std::vector<uint8_t>> bytes_from_gob(const value& v, size_t max) {
  if (v.is_none())
    return std::vector<uint8_t>{};
  if (v.t != value::tag::bytes)
    return make_error(wire_errc::bad_value, "dmsgpty: expected []byte");
  if (v.data.size() > max)
    return make_error(wire_errc::oversized, "dmsgpty: []byte of " + std::to_string(v.data.size()));
  return v.data;
}

expected<std::vector<public_key>> pubkeys_from_gob(const value& v) {
  std::vector<public_key> out;
  if (v.is_none())
    return out;
  if (v.t != value::tag::slice)
    return make_error(wire_errc::bad_value, "dmsgpty: expected []cipher.PubKey");
  if (v.items.size() > max_whitelist_keys)
    return make_error(wire_errc::oversized, "dmsgpty: too many public keys");
  for (const auto& item : v.items) {
    std::vector<uint8_t> raw;
    if (!item.byte_array(raw) || raw.size() != public_key{}.bytes.size())
      return make_error(wire_errc::bad_value, "dmsgpty: a public key is not 33 bytes");
    public_key pk;
    std::copy(raw.begin(), raw.end(), pk.bytes.begin());
    out.push_back(pk);
  }
  return out;
}

} // namespace skywire::wire::dmsgpty
