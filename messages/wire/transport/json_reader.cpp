#include "messages/wire/transport/json_reader.hpp"

#include <boost/json/parse.hpp>

namespace skywire::wire::transport {

namespace bj = boost::json;

expected<bj::value> parse_json(std::string_view text, size_t max_bytes, size_t max_depth) {
  if (text.size() > max_bytes)
    return make_error(wire_errc::oversized, "JSON of " + std::to_string(text.size())
                                              + " bytes exceeds the limit of "
                                              + std::to_string(max_bytes));
  bj::parse_options opts;
  opts.max_depth = max_depth;
  boost::system::error_code ec;
  auto v = bj::parse(bj::string_view{text.data(), text.size()}, ec, {}, opts);
  if (ec) {
    if (ec == bj::error::too_deep)
      return make_error(wire_errc::oversized, "JSON nests deeper than "
                                                + std::to_string(max_depth));
    return make_error(wire_errc::malformed, "invalid JSON: " + ec.message());
  }
  return v;
}

expected<object_reader> object_reader::from(const bj::value& v, std::string what) {
  if (!v.is_object())
    return make_error(wire_errc::malformed, what + ": expected a JSON object");
  return object_reader{v.get_object(), std::move(what)};
}

bool object_reader::has(std::string_view key) const {
  return obj_.contains(bj::string_view{key.data(), key.size()});
}

caf::error object_reader::fail(wire_errc code, std::string_view key,
                               std::string_view why) const {
  std::string ctx = what_;
  ctx += '.';
  ctx += key;
  ctx += ": ";
  ctx += why;
  return make_error(code, std::move(ctx));
}

expected<const bj::value*> object_reader::field(std::string_view key) const {
  auto* v = obj_.if_contains(bj::string_view{key.data(), key.size()});
  if (v == nullptr)
    return fail(wire_errc::malformed, key, "missing field");
  if (v->is_null())
    return fail(wire_errc::malformed, key, "null is not allowed");
  return v;
}

caf::error json_uint(const bj::value& v, uint64_t max, uint64_t& out) {
  uint64_t x = 0;
  if (v.is_int64()) {
    if (v.get_int64() < 0)
      return make_error(wire_errc::bad_value, "negative number where unsigned expected");
    x = static_cast<uint64_t>(v.get_int64());
  } else if (v.is_uint64()) {
    x = v.get_uint64();
  } else {
    return make_error(wire_errc::malformed, "expected an integer");
  }
  if (x > max)
    return make_error(wire_errc::bad_value, std::to_string(x) + " exceeds "
                                              + std::to_string(max));
  out = x;
  return {};
}

caf::error json_string(const bj::value& v, size_t max_len, std::string_view& out) {
  if (!v.is_string())
    return make_error(wire_errc::malformed, "expected a string");
  const auto& s = v.get_string();
  if (s.size() > max_len)
    return make_error(wire_errc::oversized, "string of " + std::to_string(s.size())
                                              + " bytes exceeds " + std::to_string(max_len));
  out = std::string_view{s.data(), s.size()};
  return {};
}

caf::error object_reader::get_string(std::string_view key, std::string& out,
                                     size_t max_len) const {
  auto v = field(key);
  if (!v)
    return std::move(v.error());
  std::string_view sv;
  if (auto err = json_string(**v, max_len, sv))
    return fail(static_cast<wire_errc>(err.code()), key, "expected a string of at most "
                                                           + std::to_string(max_len) + " bytes");
  out.assign(sv);
  return {};
}

caf::error object_reader::get_uint(std::string_view key, uint64_t max, uint64_t& out) const {
  auto v = field(key);
  if (!v)
    return std::move(v.error());
  if (auto err = json_uint(**v, max, out))
    return fail(static_cast<wire_errc>(err.code()), key,
                "expected an integer in 0.." + std::to_string(max));
  return {};
}

caf::error object_reader::get_int(std::string_view key, int64_t& out) const {
  auto v = field(key);
  if (!v)
    return std::move(v.error());
  if ((*v)->is_int64()) {
    out = (*v)->get_int64();
    return {};
  }
  if ((*v)->is_uint64())
    return fail(wire_errc::bad_value, key, "integer exceeds int64");
  return fail(wire_errc::malformed, key, "expected an integer");
}

caf::error object_reader::get_bool(std::string_view key, bool& out) const {
  auto v = field(key);
  if (!v)
    return std::move(v.error());
  if (!(*v)->is_bool())
    return fail(wire_errc::malformed, key, "expected true or false");
  out = (*v)->get_bool();
  return {};
}

caf::error object_reader::get_public_key(std::string_view key, public_key& out) const {
  auto v = field(key);
  if (!v)
    return std::move(v.error());
  std::string_view sv;
  if (auto err = json_string(**v, 66, sv))
    return fail(wire_errc::malformed, key, "expected a public key in hex");
  auto pk = public_key::from_hex(sv);
  if (!pk)
    return fail(wire_errc::bad_value, key, describe(pk.error()));
  out = *pk;
  return {};
}

caf::error object_reader::get_signature(std::string_view key, signature& out) const {
  auto v = field(key);
  if (!v)
    return std::move(v.error());
  std::string_view sv;
  if (auto err = json_string(**v, 130, sv))
    return fail(wire_errc::malformed, key, "expected a signature in hex");
  auto sig = signature::from_hex(sv);
  if (!sig)
    return fail(wire_errc::bad_value, key, describe(sig.error()));
  out = *sig;
  return {};
}

expected<transport_id> parse_uuid36(std::string_view text) {
  if (text.size() != 36)
    return make_error(wire_errc::malformed, "expected a 36-character UUID");
  return transport_id::from_string(text);
}

caf::error object_reader::get_transport_id(std::string_view key, transport_id& out) const {
  auto v = field(key);
  if (!v)
    return std::move(v.error());
  std::string_view sv;
  if (auto err = json_string(**v, 36, sv))
    return fail(wire_errc::malformed, key, "expected a UUID string");
  auto id = parse_uuid36(sv);
  if (!id)
    return fail(wire_errc::malformed, key, describe(id.error()));
  out = *id;
  return {};
}

caf::error object_reader::get_object(std::string_view key, const bj::object*& out) const {
  auto v = field(key);
  if (!v)
    return std::move(v.error());
  if (!(*v)->is_object())
    return fail(wire_errc::malformed, key, "expected an object");
  out = &(*v)->get_object();
  return {};
}

caf::error object_reader::get_array(std::string_view key, const bj::array*& out,
                                    size_t max_count) const {
  auto v = field(key);
  if (!v)
    return std::move(v.error());
  if (!(*v)->is_array())
    return fail(wire_errc::malformed, key, "expected an array");
  if ((*v)->get_array().size() > max_count)
    return fail(wire_errc::oversized, key,
                "more than " + std::to_string(max_count) + " elements");
  out = &(*v)->get_array();
  return {};
}

} // namespace skywire::wire::transport
