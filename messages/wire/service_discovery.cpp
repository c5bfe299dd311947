#include "messages/wire/service_discovery.hpp"

#include <cmath>
#include <utility>

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire {

namespace bj = boost::json;
using transport::object_reader;

namespace {

constexpr size_t max_type = 32;
constexpr size_t max_version = 64;
constexpr size_t max_address = 66 + 1 + 5;
constexpr size_t max_service_json = 16 * 1024;
constexpr size_t max_geo_text = 128;
constexpr double max_figure = 1e9; // |lat|, |lon|, latency, uptime
constexpr size_t max_depth = 4; // [ { "geo": { ... } } ]

void write_service(json::writer& w, const service_entry& s) {
  w.begin_object();
  w.key("address").string(s.pk.hex() + ":" + std::to_string(s.prt.value));
  w.key("type").string(s.type);
  if (s.geo) {
    w.key("geo").begin_object();
    w.key("lat").number(s.geo->lat).key("lon").number(s.geo->lon);
    if (!s.geo->country.empty())
      w.key("country").string(s.geo->country);
    if (!s.geo->region.empty())
      w.key("region").string(s.geo->region);
    w.end_object();
  }
  if (s.display_node_ip)
    w.key("display_node_ip").boolean(true);
  if (!s.version.empty())
    w.key("version").string(s.version);
  if (!s.local_ips.empty()) {
    w.key("local_ips").begin_array();
    for (const auto& ip : s.local_ips)
      w.string(ip);
    w.end_array();
  }
  if (s.info) {
    w.key("info").begin_object();
    if (s.info->latency != 0)
      w.key("latency").number(s.info->latency);
    if (s.info->uptime != 0)
      w.key("uptime").number(s.info->uptime);
    if (s.info->connections != 0)
      w.key("connections").integer(s.info->connections);
    w.end_object();
  }
  w.end_object();
}

/// A finite JSON number (integer or not) of an object's field, when present.
caf::error read_number(const object_reader& o, const bj::object& obj, std::string_view key,
                       double& out) {
  auto* f = obj.if_contains(bj::string_view{key.data(), key.size()});
  if (f == nullptr || f->is_null())
    return {};
  if (f->is_double())
    out = f->get_double();
  else if (f->is_int64())
    out = static_cast<double>(f->get_int64());
  else if (f->is_uint64())
    out = static_cast<double>(f->get_uint64());
  else
    return o.fail(wire_errc::bad_value, key, "expected a number");
  if (!std::isfinite(out) || std::fabs(out) > max_figure)
    return o.fail(wire_errc::bad_value, key, "not a number of magnitude at most 1e9");
  // six decimals kept, and no negative zero: a figure then reads back from
  // its shortest text as the same value (the JSON parser's doubles may be
  // one unit in the last place off, the rounding takes that away)
  out = std::round(out * 1e6) / 1e6;
  if (out == 0)
    out = 0;
  return {};
}

caf::error read_geo(const object_reader& parent, const bj::object& obj, service_geo& g) {
  object_reader o{obj, parent.what() + ".geo"};
  if (auto err = read_number(o, obj, "lat", g.lat))
    return err;
  if (auto err = read_number(o, obj, "lon", g.lon))
    return err;
  for (auto [key, field] : {std::pair{"country", &g.country}, std::pair{"region", &g.region}})
    if (auto* f = obj.if_contains(key); f != nullptr && !f->is_null())
      if (auto err = o.get_string(key, *field, max_geo_text))
        return err;
  return {};
}

caf::error read_info(const object_reader& parent, const bj::object& obj, service_info& i) {
  object_reader o{obj, parent.what() + ".info"};
  if (auto err = read_number(o, obj, "latency", i.latency))
    return err;
  if (auto err = read_number(o, obj, "uptime", i.uptime))
    return err;
  if (auto* f = obj.if_contains("connections"); f != nullptr && !f->is_null())
    if (auto err = o.get_int("connections", i.connections))
      return err;
  return {};
}

/// "<66 hex>:<decimal port>".
caf::error read_address(const object_reader& o, service_entry& s) {
  std::string text;
  if (auto err = o.get_string("address", text, max_address))
    return err;
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return o.fail(wire_errc::bad_value, "address", "expected <public key>:<port>");
  auto pk = public_key::from_hex(std::string_view{text}.substr(0, colon));
  if (!pk || pk->is_null())
    return o.fail(wire_errc::bad_value, "address", "not a valid public key");
  auto digits = std::string_view{text}.substr(colon + 1);
  if (digits.empty() || digits.size() > 5)
    return o.fail(wire_errc::bad_value, "address", "expected a decimal port");
  uint32_t p = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return o.fail(wire_errc::bad_value, "address", "expected a decimal port");
    p = p * 10 + static_cast<uint32_t>(c - '0');
  }
  if (p > 65535)
    return o.fail(wire_errc::bad_value, "address", "port out of range");
  s.pk = *pk;
  s.prt = port{static_cast<uint16_t>(p)};
  return {};
}

expected<service_entry> read_service(const bj::value& v) {
  auto o = object_reader::from(v, "Service");
  if (!o)
    return std::move(o.error());
  service_entry s;
  if (auto err = read_address(*o, s))
    return err;
  if (auto err = o->get_string("type", s.type, max_type))
    return err;
  if (s.type.empty())
    return o->fail(wire_errc::bad_value, "type", "empty");
  const auto& obj = v.get_object();
  auto present = [&](std::string_view k) {
    auto* f = obj.if_contains(bj::string_view{k.data(), k.size()});
    return f != nullptr && !f->is_null();
  };
  if (present("version"))
    if (auto err = o->get_string("version", s.version, max_version))
      return err;
  if (present("display_node_ip"))
    if (auto err = o->get_bool("display_node_ip", s.display_node_ip))
      return err;
  if (present("local_ips")) {
    const bj::array* arr = nullptr;
    if (auto err = o->get_array("local_ips", arr, transport::max_local_addresses))
      return err;
    for (const auto& a : *arr) {
      std::string_view sv;
      if (auto err = transport::json_string(a, transport::max_address_text, sv);
          err || !transport::plausible_ip_text(sv))
        return o->fail(wire_errc::bad_value, "local_ips", "expected IP address strings");
      s.local_ips.emplace_back(sv);
    }
  }
  if (present("geo")) {
    const bj::object* sub = nullptr;
    if (auto err = o->get_object("geo", sub))
      return err;
    if (auto err = read_geo(*o, *sub, s.geo.emplace()))
      return err;
  }
  if (present("info")) {
    const bj::object* sub = nullptr;
    if (auto err = o->get_object("info", sub))
      return err;
    if (auto err = read_info(*o, *sub, s.info.emplace()))
      return err;
  }
  return s;
}

} // namespace

std::string encode_service(const service_entry& s) {
  std::string out;
  json::writer w{out};
  write_service(w, s);
  return out;
}

std::string encode_service_list(const std::vector<service_entry>& list) {
  std::string out;
  json::writer w{out};
  w.begin_array();
  for (const auto& s : list)
    write_service(w, s);
  w.end_array();
  return out;
}

expected<service_entry> decode_service(std::string_view text) {
  auto v = transport::parse_json(text, max_service_json, max_depth - 1);
  if (!v)
    return std::move(v.error());
  return read_service(*v);
}

expected<std::vector<service_entry>> decode_service_list(std::string_view text) {
  auto v = transport::parse_json(text, max_service_list_json, max_depth);
  if (!v)
    return std::move(v.error());
  std::vector<service_entry> out;
  if (v->is_null())
    return out;
  if (!v->is_array())
    return make_error(wire_errc::malformed, "service list: expected a JSON array");
  const auto& arr = v->get_array();
  if (arr.size() > max_services)
    return make_error(wire_errc::oversized, "service list of " + std::to_string(arr.size())
                                              + " entries (at most "
                                              + std::to_string(max_services) + ")");
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    auto s = read_service(arr[i]);
    if (!s)
      return make_error(wire_errc::bad_value,
                        "service list [" + std::to_string(i) + "]: " + describe(s.error()));
    out.push_back(std::move(*s));
  }
  return out;
}

} // namespace skywire::wire
