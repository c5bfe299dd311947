#include "messages/wire/apps/skyfwd.hpp"

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire::apps {

std::string encode_fwd_request(uint16_t port) {
  std::string out = "{\"port\":";
  json::append_uint(out, port);
  out += '}';
  return out;
}

expected<uint16_t> decode_fwd_request(std::string_view bytes) {
  auto v = transport::parse_json(bytes, max_fwd_message, 4);
  if (!v)
    return v.error();
  auto o = transport::object_reader::from(*v, "skyfwd request");
  if (!o)
    return o.error();
  uint64_t port = 0;
  if (auto err = o->get_uint("port", 65535, port))
    return err;
  return static_cast<uint16_t>(port);
}

std::string encode_fwd_reply(const std::optional<std::string>& error) {
  if (!error)
    return "{}";
  std::string out = "{\"error\":";
  json::append_string(out, *error);
  out += '}';
  return out;
}

expected<std::optional<std::string>> decode_fwd_reply(std::string_view bytes) {
  auto v = transport::parse_json(bytes, max_fwd_message, 4);
  if (!v)
    return v.error();
  auto o = transport::object_reader::from(*v, "skyfwd reply");
  if (!o)
    return o.error();
  // Go writes no "error" on success; a null one means the same to Go
  const auto& obj = v->get_object();
  auto* e = obj.if_contains("error");
  if (!e || e->is_null())
    return std::optional<std::string>{};
  std::string text;
  if (auto err = o->get_string("error", text, 4096))
    return err;
  return std::optional<std::string>{std::move(text)};
}

std::string fwd_not_registered(uint16_t port) {
  return "Port :" + std::to_string(port) + " not registered";
}

std::string fwd_cannot_dial(uint16_t port) {
  return "Failed to dial port " + std::to_string(port);
}

} // namespace skywire::wire::apps
