#include "actors/visor/cli_rpc.hpp"

#include <algorithm>

#include <caf/sec.hpp>

#include "messages/error.hpp"
#include "messages/wire/routing/rule.hpp"
#include "runtime/config/duration.hpp"

namespace skywire::visor::cli {

std::optional<std::string_view> line_framer::next() {
  auto nl = pending_.find('\n', start_);
  if (nl != std::string::npos) {
    auto line = std::string_view{pending_}.substr(start_, nl - start_);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.size() <= max_line_) {
      start_ = nl + 1;
      return line;
    }
  }
  pending_.erase(0, start_);
  start_ = 0;
  return std::nullopt;
}

std::variant<request, request_error> parse_request(std::string_view line) {
  boost::system::error_code ec;
  json::value req = json::parse(line, ec);
  if (ec)
    return request_error{"null", parse_error, "invalid JSON: " + ec.message()};
  if (!req.is_object())
    return request_error{"null", invalid_request, "a request must be a JSON object"};
  auto& obj = req.get_object();
  request r;
  if (auto it = obj.find("id"); it != obj.end()) {
    if (!it->value().is_number() && !it->value().is_string() && !it->value().is_null())
      return request_error{"null", invalid_request, "id must be a number, a string or null"};
    r.rid = json::serialize(it->value());
  }
  auto m = obj.find("method");
  if (m == obj.end() || !m->value().is_string())
    return request_error{r.rid, invalid_request, "method must be a string"};
  if (auto p = obj.find("params"); p != obj.end() && !p->value().is_null()) {
    if (!p->value().is_object())
      return request_error{r.rid, invalid_params, "params must be an object"};
    r.params = std::move(p->value());
  }
  r.method = std::string{m->value().get_string()};
  return r;
}

std::string error_line(const std::string& id_json, int code, std::string_view message) {
  std::string out =
      "{\"id\":" + id_json + ",\"error\":{\"code\":" + std::to_string(code) + ",\"message\":";
  out += json::serialize(json::value(message));
  out += "}}\n";
  return out;
}

std::string result_line(const std::string& id_json, const std::string& result_json) {
  return "{\"id\":" + id_json + ",\"result\":" + result_json + "}\n";
}

std::string error_text(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    return "the visor did not answer in time";
  const auto& ctx = err.context();
  if (!ctx.empty() && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return describe(err);
}

int error_code(const caf::error& err) {
  return err == caf::sec::request_timeout ? timeout_error : server_error;
}

const json::value* param(const json::value* params, std::string_view key) {
  if (!params)
    return nullptr;
  return params->get_object().if_contains(key);
}

std::variant<transport_id, bad_params> id_param(const json::value* params) {
  const auto* v = param(params, "id");
  if (!v || !v->is_string())
    return bad_params{"params.id must be a transport ID (UUID text)"};
  auto id = transport_id::from_string(v->get_string());
  if (!id)
    return bad_params{"params.id: not a transport ID: " + describe(id.error())};
  return *id;
}

std::variant<public_key, bad_params> pk_param(const json::value* params, std::string_view key) {
  const auto* v = param(params, key);
  if (!v || !v->is_string())
    return bad_params{"params." + std::string{key} + " must be a public key (66 hex digits)"};
  auto pk = public_key::from_hex(v->get_string());
  if (!pk || pk->is_null())
    return bad_params{"params." + std::string{key} + ": not a public key"};
  return *pk;
}

std::variant<uint32_t, bad_params> route_id_param(const json::value* params) {
  const auto* v = param(params, "id");
  if (!v || !(v->is_int64() || v->is_uint64()))
    return bad_params{"params.id must be a route ID (a number)"};
  auto n = v->is_int64() ? static_cast<int64_t>(v->get_int64()) : -1;
  if (v->is_uint64() && v->get_uint64() <= 0xffffffffu)
    n = static_cast<int64_t>(v->get_uint64());
  if (n <= 0 || n > 0xffffffffll)
    return bad_params{"params.id must be a route ID in 1..4294967295"};
  return static_cast<uint32_t>(n);
}

std::variant<std::vector<uint8_t>, bad_params> rule_param(const json::value* params) {
  const auto* v = param(params, "rule");
  if (!v || !v->is_object())
    return bad_params{"params.rule must be a RuleSummary object"};
  auto text = json::serialize(*v);
  if (text.size() > wire::routing::max_rule_summary_json)
    return bad_params{"params.rule is too long"};
  auto r = wire::routing::decode_summary_json(text);
  if (!r)
    return bad_params{"params.rule: " + describe(r.error())};
  return r->encode();
}

std::variant<std::string, bad_params> app_name_param(const json::value* params, const char* key) {
  const auto* v = param(params, key);
  if (!v || !v->is_string() || v->get_string().empty() || v->get_string().size() > 64)
    return bad_params{"params." + std::string{key} + " must name an app"};
  return std::string{v->get_string()};
}

std::variant<api::transport_filter, bad_params> filter_param(const json::value* params) {
  api::transport_filter f;
  if (const auto* t = param(params, "FilterTypes"); t && !t->is_null()) {
    if (!t->is_array())
      return bad_params{"params.FilterTypes must be an array of type names"};
    for (const auto& x : t->get_array()) {
      if (!x.is_string() || x.get_string().size() > 32)
        return bad_params{"params.FilterTypes must be an array of type names"};
      f.types.emplace_back(x.get_string());
    }
  }
  if (const auto* p = param(params, "FilterPubKeys"); p && !p->is_null()) {
    if (!p->is_array())
      return bad_params{"params.FilterPubKeys must be an array of public keys"};
    for (const auto& x : p->get_array()) {
      auto pk = x.is_string() ? public_key::from_hex(x.get_string())
                              : expected<public_key>{caf::make_error(caf::sec::invalid_argument)};
      if (!pk)
        return bad_params{"params.FilterPubKeys: not a public key"};
      f.pks.push_back(*pk);
    }
  }
  return f;
}

std::variant<api::transport_request, bad_params> add_param(const json::value* params) {
  auto pk = pk_param(params, "RemotePK");
  if (auto* b = std::get_if<bad_params>(&pk))
    return *b;
  api::transport_request r;
  r.remote = std::get<public_key>(pk);
  const auto* t = param(params, "TpType");
  if (!t || !t->is_string() || t->get_string().empty() || t->get_string().size() > 32)
    return bad_params{"params.TpType must name a transport type"};
  r.type = std::string{t->get_string()};
  if (const auto* to = param(params, "Timeout"); to && !to->is_null()) {
    std::optional<std::chrono::nanoseconds> d;
    if (to->is_int64() && to->get_int64() >= 0)
      d = std::chrono::nanoseconds{to->get_int64()};
    else if (to->is_uint64())
      d = std::chrono::nanoseconds{
          static_cast<int64_t>(std::min<uint64_t>(to->get_uint64(), uint64_t{3'600'000'000'000}))};
    else if (to->is_string())
      d = config::parse_go_duration(to->get_string());
    if (!d || d->count() < 0)
      return bad_params{"params.Timeout must be nanoseconds or a duration (\"30s\")"};
    r.timeout_ms = static_cast<uint64_t>(std::min<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(*d).count(), 300'000));
  }
  return r;
}

} // namespace skywire::visor::cli
