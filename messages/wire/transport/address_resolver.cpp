#include "messages/wire/transport/address_resolver.hpp"

#include <algorithm>

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire::transport {

namespace bj = boost::json;

bool plausible_ip_text(std::string_view text) noexcept {
  if (text.empty() || text.size() > max_address_text)
    return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
           || c == '.' || c == ':' || c == '%' || c == '[' || c == ']';
  });
}

std::string encode_local_addresses(const local_addresses& la) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("port").string(std::to_string(la.prt.value));
  w.key("addresses");
  if (la.addresses.empty()) {
    w.null();
  } else {
    w.begin_array();
    for (const auto& a : la.addresses)
      w.string(a);
    w.end_array();
  }
  w.end_object();
  return out;
}

std::string encode_local_addresses_line(const local_addresses& la) {
  auto out = encode_local_addresses(la);
  out += '\n';
  return out;
}

expected<local_addresses> decode_local_addresses(std::string_view text) {
  auto v = parse_json(text, max_local_addresses_json, 4);
  if (!v)
    return std::move(v.error());
  auto o = object_reader::from(*v, "LocalAddresses");
  if (!o)
    return std::move(o.error());
  local_addresses la;
  std::string p;
  if (auto err = o->get_string("port", p, 5))
    return err;
  if (p.empty() || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })
      || (p.size() > 1 && p[0] == '0') || std::stoul(p) > 0xffff)
    return o->fail(wire_errc::bad_value, "port", "expected a decimal port 0..65535");
  la.prt = port{static_cast<uint16_t>(std::stoul(p))};
  if (!o->has("addresses"))
    return o->fail(wire_errc::malformed, "addresses", "missing field");
  const auto& av = v->get_object().at("addresses");
  if (av.is_null())
    return la;
  const bj::array* arr = nullptr;
  if (auto err = o->get_array("addresses", arr, max_local_addresses))
    return err;
  for (const auto& a : *arr) {
    std::string_view sv;
    if (auto err = json_string(a, max_address_text, sv); err || !plausible_ip_text(sv))
      return o->fail(wire_errc::bad_value, "addresses", "expected IP address strings");
    la.addresses.emplace_back(sv);
  }
  return la;
}

std::string encode_ar_push(const ar_push& m) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("PK").string(m.pk.hex());
  w.key("Addr").string(m.addr);
  w.end_object();
  return out;
}

expected<ar_push> decode_ar_push(std::string_view text) {
  auto v = parse_json(text, 1024, 2);
  if (!v)
    return std::move(v.error());
  auto o = object_reader::from(*v, "RemoteVisor");
  if (!o)
    return std::move(o.error());
  ar_push m;
  if (auto err = o->get_public_key("PK", m.pk))
    return err;
  if (m.pk.is_null())
    return o->fail(wire_errc::bad_value, "PK", "null public key");
  if (auto err = o->get_string("Addr", m.addr, max_address_text))
    return err;
  if (!plausible_ip_text(m.addr))
    return o->fail(wire_errc::bad_value, "Addr", "expected ip:port");
  return m;
}

} // namespace skywire::wire::transport
