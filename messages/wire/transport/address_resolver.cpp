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

namespace {
void write_local_addresses(json::writer& w, const local_addresses& la);
} // namespace

std::string encode_local_addresses(const local_addresses& la) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  write_local_addresses(w, la);
  w.end_object();
  return out;
}

std::string encode_local_addresses_line(const local_addresses& la) {
  auto out = encode_local_addresses(la);
  out += '\n';
  return out;
}

namespace {

/// The "port" and "addresses" fields of an object (LocalAddresses, or the
/// VisorData that embeds it).
caf::error read_local_addresses(const object_reader& o, const bj::object& obj,
                                local_addresses& la) {
  std::string p;
  if (auto err = o.get_string("port", p, 5))
    return err;
  if (p.empty() || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })
      || (p.size() > 1 && p[0] == '0') || std::stoul(p) > 0xffff)
    return o.fail(wire_errc::bad_value, "port", "expected a decimal port 0..65535");
  la.prt = port{static_cast<uint16_t>(std::stoul(p))};
  if (!o.has("addresses"))
    return o.fail(wire_errc::malformed, "addresses", "missing field");
  if (obj.at("addresses").is_null())
    return {};
  const bj::array* arr = nullptr;
  if (auto err = o.get_array("addresses", arr, max_local_addresses))
    return err;
  for (const auto& a : *arr) {
    std::string_view sv;
    if (auto err = json_string(a, max_address_text, sv); err || !plausible_ip_text(sv))
      return o.fail(wire_errc::bad_value, "addresses", "expected IP address strings");
    la.addresses.emplace_back(sv);
  }
  return {};
}

void write_local_addresses(json::writer& w, const local_addresses& la) {
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
}

} // namespace

expected<local_addresses> decode_local_addresses(std::string_view text) {
  auto v = parse_json(text, max_local_addresses_json, 4);
  if (!v)
    return std::move(v.error());
  auto o = object_reader::from(*v, "LocalAddresses");
  if (!o)
    return std::move(o.error());
  local_addresses la;
  if (auto err = read_local_addresses(*o, v->get_object(), la))
    return err;
  return la;
}

std::string encode_visor_data(const visor_data& v) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("remote_addr").string(v.remote_addr);
  if (v.is_local)
    w.key("is_local").boolean(true);
  write_local_addresses(w, v.local);
  w.end_object();
  return out;
}

expected<visor_data> decode_visor_data(std::string_view text) {
  auto v = parse_json(text, max_local_addresses_json + 256, 4);
  if (!v)
    return std::move(v.error());
  auto o = object_reader::from(*v, "VisorData");
  if (!o)
    return std::move(o.error());
  visor_data d;
  if (auto err = o->get_string("remote_addr", d.remote_addr, max_address_text))
    return err;
  if (!d.remote_addr.empty() && !plausible_ip_text(d.remote_addr))
    return o->fail(wire_errc::bad_value, "remote_addr", "expected an IP address or ip:port");
  if (o->has("is_local"))
    if (auto err = o->get_bool("is_local", d.is_local))
      return err;
  if (auto err = read_local_addresses(*o, v->get_object(), d.local))
    return err;
  return d;
}

std::string encode_ar_transports(const ar_transports& t) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  auto list = [&](std::string_view name, const std::vector<public_key>& keys) {
    if (keys.empty())
      return;
    w.key(name).begin_array();
    for (const auto& pk : keys)
      w.string(pk.hex());
    w.end_array();
  };
  list("sudph", t.sudph);
  list("stcpr", t.stcpr);
  w.end_object();
  return out;
}

expected<ar_transports> decode_ar_transports(std::string_view text, size_t max_keys) {
  // 66 hex characters, two quotes and a comma per key
  size_t max_bytes = 64 + 2 * (max_keys * 69 + 16);
  auto v = parse_json(text, max_bytes, 3);
  if (!v)
    return std::move(v.error());
  auto o = object_reader::from(*v, "ArData");
  if (!o)
    return std::move(o.error());
  ar_transports t;
  auto list = [&](std::string_view name, std::vector<public_key>& out) -> caf::error {
    if (!o->has(name) || v->get_object().at(name).is_null())
      return {};
    const bj::array* arr = nullptr;
    if (auto err = o->get_array(name, arr, max_keys))
      return err;
    for (const auto& item : *arr) {
      std::string_view sv;
      if (auto err = json_string(item, 66, sv))
        return o->fail(wire_errc::bad_value, name, "expected public key strings");
      auto pk = public_key::from_hex(sv);
      if (!pk || pk->is_null())
        return o->fail(wire_errc::bad_value, name, "expected public key strings");
      out.push_back(*pk);
    }
    return {};
  };
  if (auto err = list("sudph", t.sudph))
    return err;
  if (auto err = list("stcpr", t.stcpr))
    return err;
  return t;
}

expected<ar_channel_message> decode_ar_channel_message(std::string_view text) {
  ar_channel_message m;
  if (text == ar_heartbeat) {
    m.k = ar_channel_message::kind::heartbeat;
    return m;
  }
  if (text == ar_unbind) {
    m.k = ar_channel_message::kind::unbind;
    return m;
  }
  if (!text.empty() && text.front() == '{') {
    auto la = decode_local_addresses(text);
    if (!la)
      return std::move(la.error());
    m.k = ar_channel_message::kind::bind;
    m.bind = std::move(*la);
    return m;
  }
  return make_error(wire_errc::bad_value,
                    "address resolver channel: expected heartbeat, delBind or a bind message");
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
