#include "messages/wire/transport/ar_http.hpp"

#include <algorithm>

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/entry.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire::transport {

namespace bj = boost::json;

namespace {

bool decimal_port(std::string_view p, uint16_t& out) {
  if (p.empty() || p.size() > 5 || (p.size() > 1 && p[0] == '0'))
    return false;
  uint32_t v = 0;
  for (char c : p) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 0xffff)
    return false;
  out = static_cast<uint16_t>(v);
  return true;
}

} // namespace

std::string encode_visor_data(const visor_data& vd) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("remote_addr").string(vd.remote_addr);
  if (vd.is_local)
    w.key("is_local").boolean(true);
  w.key("port").string(std::to_string(vd.local.prt.value));
  w.key("addresses");
  if (vd.local.addresses.empty()) {
    w.null();
  } else {
    w.begin_array();
    for (const auto& a : vd.local.addresses)
      w.string(a);
    w.end_array();
  }
  w.end_object();
  out += '\n';
  return out;
}

expected<visor_data> decode_visor_data(std::string_view text) {
  auto v = parse_json(text, max_visor_data_json, 3);
  if (!v)
    return std::move(v.error());
  auto o = object_reader::from(*v, "VisorData");
  if (!o)
    return std::move(o.error());
  visor_data vd;
  if (auto err = o->get_string("remote_addr", vd.remote_addr, max_address_text))
    return err;
  if (!plausible_ip_text(vd.remote_addr))
    return o->fail(wire_errc::bad_value, "remote_addr", "expected an IP address or ip:port");
  if (o->has("is_local"))
    if (auto err = o->get_bool("is_local", vd.is_local))
      return err;
  std::string p;
  if (auto err = o->get_string("port", p, 5))
    return err;
  uint16_t port_value = 0;
  if (!decimal_port(p, port_value))
    return o->fail(wire_errc::bad_value, "port", "expected a decimal port 0..65535");
  vd.local.prt = port{port_value};
  // "addresses" may be absent or null (a nil slice)
  const auto& obj = v->get_object();
  auto it = obj.find("addresses");
  if (it == obj.end() || it->value().is_null())
    return vd;
  const bj::array* arr = nullptr;
  if (auto err = o->get_array("addresses", arr, max_local_addresses))
    return err;
  for (const auto& a : *arr) {
    std::string_view sv;
    if (auto err = json_string(a, max_address_text, sv); err || !plausible_ip_text(sv))
      return o->fail(wire_errc::bad_value, "addresses", "expected IP address strings");
    vd.local.addresses.emplace_back(sv);
  }
  return vd;
}

std::string encode_ar_transports(const ar_transports& t) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  auto list = [&](std::string_view type, const std::vector<public_key>& keys) {
    if (keys.empty())
      return;
    w.key(type).begin_array();
    for (const auto& pk : keys)
      w.string(pk.hex());
    w.end_array();
  };
  auto find = [&](std::string_view type) -> const std::vector<public_key>* {
    auto it = t.by_type.find(type);
    return it == t.by_type.end() ? nullptr : &it->second;
  };
  if (auto* s = find(type_sudph))
    list(type_sudph, *s);
  if (auto* s = find(type_stcpr))
    list(type_stcpr, *s);
  for (const auto& [type, keys] : t.by_type)
    if (type != type_sudph && type != type_stcpr)
      list(type, keys);
  w.end_object();
  out += '\n';
  return out;
}

expected<ar_transports> decode_ar_transports(std::string_view text, size_t max_keys,
                                             size_t max_bytes) {
  auto v = parse_json(text, max_bytes, 3);
  if (!v)
    return std::move(v.error());
  if (!v->is_object())
    return make_error(wire_errc::malformed, "ArData: expected a JSON object");
  ar_transports out;
  size_t total = 0;
  for (const auto& kv : v->get_object()) {
    std::string_view type{kv.key().data(), kv.key().size()};
    std::string what = "ArData." + std::string{type.substr(0, max_type_name)};
    if (!valid_type_name(type))
      return make_error(wire_errc::bad_value, what + ": not a transport type name");
    auto& keys = out.by_type[std::string{type}];
    if (kv.value().is_null())
      continue;
    if (!kv.value().is_array())
      return make_error(wire_errc::malformed, what + ": expected an array of public keys");
    const auto& arr = kv.value().get_array();
    total += arr.size();
    if (total > max_keys)
      return make_error(wire_errc::oversized,
                        "ArData: more than " + std::to_string(max_keys) + " keys");
    keys.reserve(arr.size());
    for (const auto& e : arr) {
      std::string_view sv;
      if (json_string(e, 66, sv))
        return make_error(wire_errc::malformed, what + ": expected public keys in hex");
      auto pk = public_key::from_hex(sv);
      if (!pk)
        return make_error(wire_errc::bad_value, what + ": " + describe(pk.error()));
      if (pk->is_null())
        return make_error(wire_errc::bad_value, what + ": null public key");
      keys.push_back(*pk);
    }
  }
  // an explicit null or [] is the same as an omitted key
  std::erase_if(out.by_type, [](const auto& kv) { return kv.second.empty(); });
  return out;
}

} // namespace skywire::wire::transport
