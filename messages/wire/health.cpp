#include "messages/wire/health.hpp"

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire {

namespace {

constexpr size_t max_text = 256;
constexpr size_t max_servers = 64;

caf::error optional_string(const transport::object_reader& o, std::string_view key,
                           std::string& out) {
  if (!o.has(key))
    return {};
  return o.get_string(key, out, max_text);
}

} // namespace

std::string encode_health(const health_response& h) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  if (h.build_info) {
    w.key("build_info").begin_object();
    w.key("version").string(h.build_info->version);
    w.key("commit").string(h.build_info->commit);
    w.key("date").string(h.build_info->date);
    w.end_object();
  }
  w.key("started_at").string(h.started_at);
  if (!h.dmsg_address.empty())
    w.key("dmsg_address").string(h.dmsg_address);
  if (!h.dmsg_servers.empty()) {
    w.key("dmsg_servers").begin_array();
    for (const auto& s : h.dmsg_servers)
      w.string(s);
    w.end_array();
  }
  w.end_object();
  return out;
}

expected<health_response> decode_health(std::string_view text) {
  auto v = transport::parse_json(text, max_health_json, 3);
  if (!v)
    return std::move(v.error());
  auto o = transport::object_reader::from(*v, "HealthCheckResponse");
  if (!o)
    return std::move(o.error());
  health_response h;
  const auto& obj = v->get_object();
  if (auto it = obj.find("build_info"); it != obj.end() && !it->value().is_null()) {
    const boost::json::object* bo = nullptr;
    if (auto err = o->get_object("build_info", bo))
      return err;
    transport::object_reader b{*bo, "HealthCheckResponse.build_info"};
    wire::build_info bi;
    if (auto err = optional_string(b, "version", bi.version))
      return err;
    if (auto err = optional_string(b, "commit", bi.commit))
      return err;
    if (auto err = optional_string(b, "date", bi.date))
      return err;
    h.build_info = std::move(bi);
  }
  if (auto err = o->get_string("started_at", h.started_at, max_text))
    return err;
  if (auto err = optional_string(*o, "dmsg_address", h.dmsg_address))
    return err;
  if (auto it = obj.find("dmsg_servers"); it != obj.end() && !it->value().is_null()) {
    const boost::json::array* arr = nullptr;
    if (auto err = o->get_array("dmsg_servers", arr, max_servers))
      return err;
    for (const auto& s : *arr) {
      std::string_view sv;
      if (auto err = transport::json_string(s, max_text, sv))
        return o->fail(wire_errc::malformed, "dmsg_servers", "expected strings");
      h.dmsg_servers.emplace_back(sv);
    }
  }
  return h;
}

} // namespace skywire::wire
