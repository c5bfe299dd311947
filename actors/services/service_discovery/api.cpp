#include "actors/services/service_discovery/api.hpp"

#include <algorithm>
#include <optional>

#include <boost/json/value.hpp>

#include "actors/services/dmsg_discovery_rules.hpp"
#include "actors/services/http_service.hpp"
#include "actors/services/service_clock.hpp"
#include "actors/services/service_discovery/errors.hpp"
#include "messages/wire/percent.hpp"
#include "messages/wire/transport/json_reader.hpp"
#include "runtime/io/address_scope.hpp"

namespace skywire::services::service_discovery {

namespace wt = wire::transport;

namespace {

constexpr size_t max_deregister_keys = 4096;
constexpr size_t max_type = 32;

/// The ?type= of a request: required, [a-z-]{1,32}; "proxy" is skysocks.
expected<std::string> type_of(const http::request& req) {
  auto t = req.query_param("type");
  if (!t || t->empty())
    return make_error(sd_errc::bad_input, std::string{missing_type});
  std::string type{*t};
  bool ok = type.size() <= max_type && std::all_of(type.begin(), type.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || c == '-';
            });
  if (!ok)
    return make_error(sd_errc::bad_input, "invalid service type");
  if (type == "proxy")
    type = "skysocks";
  return type;
}

/// The {addr} of a path: "<pk>[:<port>]" (no port = 0, as Go reads it).
expected<service_key> key_of_param(const http::request& req, std::string type) {
  auto text = req.param("addr");
  auto colon = text.find(':');
  auto pk = public_key::from_hex(text.substr(0, colon));
  if (!pk)
    return make_error(sd_errc::bad_input, "invalid skywire address");
  uint32_t p = 0;
  if (colon != std::string_view::npos) {
    auto digits = text.substr(colon + 1);
    if (digits.empty() || digits.size() > 5)
      return make_error(sd_errc::bad_input, "invalid skywire address");
    for (char c : digits) {
      if (c < '0' || c > '9')
        return make_error(sd_errc::bad_input, "invalid skywire address");
      p = p * 10 + static_cast<uint32_t>(c - '0');
    }
    if (p > 65535)
      return make_error(sd_errc::bad_input, "invalid skywire address");
  }
  return service_key{std::move(type), *pk, skywire::port{static_cast<uint16_t>(p)}};
}

/// ?quantity=N: absent or empty = 0 (all); a decimal (a leading '-' allowed,
/// meaning all, as Go's Atoi then quantity > 0 test).
std::optional<size_t> quantity_of(const http::request& req) {
  auto q = req.query_param("quantity");
  if (!q || q->empty())
    return size_t{0};
  std::string_view v = *q;
  bool negative = v.front() == '-';
  if (negative || v.front() == '+')
    v.remove_prefix(1);
  if (v.empty() || v.size() > 18)
    return std::nullopt;
  size_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return negative ? 0 : n;
}

http::response json_reply(std::string body) {
  body += '\n';
  return http::make_response(200, std::move(body));
}

} // namespace

sd_api::sd_api(sd_config cfg)
  : cfg_(std::move(cfg)), store_(store_limits{cfg_.max_entries, cfg_.max_per_key}),
    guard_(cfg_.max_nonce_keys),
    budget_(source_budget_config{cfg_.new_burst, cfg_.new_per_minute, cfg_.max_sources_tracked}),
    rng_(cfg_.seed != 0 ? cfg_.seed : std::random_device{}()) {
  started_at_ = now();
}

int64_t sd_api::now() const {
  return cfg_.clock ? cfg_.clock() : system_unix_ns();
}

http::response sd_api::handle(sd_op op, const http::request& req) {
  switch (op) {
  case sd_op::list: return list(req);
  case sd_op::get_one: return get_one(req);
  case sd_op::register_:
    return authenticated(req, [&](const public_key& caller, int64_t t) {
      return register_service(req, caller, t);
    });
  case sd_op::remove:
    return authenticated(req, [&](const public_key& caller, int64_t t) {
      return remove_service(req, caller, t);
    });
  case sd_op::deregister: return deregister(req);
  case sd_op::nonce: return nonce_reply(guard_, req);
  case sd_op::health: return health_answer(cfg_.version, started_at_, cfg_.dmsg_address);
  case sd_op::metrics: return metrics();
  }
  return error_reply(500, "something unexpected happened");
}

size_t sd_api::sweep() {
  auto t = now();
  auto n = store_.sweep(t);
  n_.expired += n;
  budget_.sweep(t);
  return n;
}

template <class F>
http::response sd_api::authenticated(const http::request& req, F&& fn) {
  return authenticate(
    guard_, budget_, req, now(), [this] { ++n_.auth_refused; },
    [this](const std::string& source) { return rate_limited(source); }, std::forward<F>(fn));
}

http::response sd_api::rate_limited(const std::string& source) {
  ++n_.rate_limited;
  return budget_.refusal([](unsigned st, std::string_view t) { return error_reply(st, t); }, source,
                         "new keys and services");
}

http::response sd_api::list(const http::request& req) {
  auto type = type_of(req);
  if (!type)
    return error_reply(type.error());
  auto quantity = quantity_of(req);
  if (!quantity)
    return error_reply(400, "quantity must be integer");
  service_filter f;
  f.type = std::move(*type);
  // decoded as Go's URL.Query() does
  auto version = wire::percent_decode(req.query_param("version").value_or(""), true);
  auto country = wire::percent_decode(req.query_param("country").value_or(""), true);
  if (!version || !country)
    return error_reply(400, "bad percent-encoding in the query");
  f.version = std::move(*version);
  f.country = std::move(*country);
  auto found = store_.list(f, now());
  auto total = found.size();
  auto want = *quantity > 0 ? std::min(*quantity, cfg_.list_limit) : cfg_.list_limit;
  if (found.size() > want) {
    // a uniform random sample, in key order
    std::vector<size_t> idx(found.size());
    for (size_t i = 0; i < idx.size(); ++i)
      idx[i] = i;
    std::shuffle(idx.begin(), idx.end(), rng_);
    idx.resize(want);
    std::sort(idx.begin(), idx.end());
    std::vector<wire::service_entry> sample;
    sample.reserve(want);
    for (auto i : idx)
      sample.push_back(std::move(found[i]));
    found = std::move(sample);
  }
  auto r = json_reply(wire::encode_service_list(found));
  r.headers.emplace_back("X-Total-Count", std::to_string(total));
  return r;
}

http::response sd_api::get_one(const http::request& req) {
  auto type = type_of(req);
  if (!type)
    return error_reply(type.error());
  auto key = key_of_param(req, std::move(*type));
  if (!key)
    return error_reply(key.error());
  auto r = store_.get(*key, now());
  if (!r)
    return error_reply(404, service_not_found);
  return json_reply(wire::encode_service(r->entry));
}

http::response sd_api::register_service(const http::request& req, const public_key& caller,
                                        int64_t t) {
  auto refuse = [&](unsigned status, std::string_view why) {
    ++n_.refused;
    return error_reply(status, why);
  };
  auto s = wire::decode_service(req.body);
  if (!s)
    return refuse(400, invalid_json);
  if (s->pk != caller)
    return refuse(403, pk_mismatch);
  if (s->prt.value == 0)
    return refuse(400, "port cannot be 0 in address");
  bool charset_ok = std::all_of(s->type.begin(), s->type.end(),
                                [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
  if (!charset_ok)
    return refuse(400, "invalid service type");
  if ((s->type == "vpn" || s->type == "skysocks") && s->version.empty())
    return refuse(403, version_too_old);
  if (s->type == "visor") {
    // the reference: the caller's IP must be one of the announced local_ips
    // (the visor has a public IP of its own); we also want that IP public
    auto ip = requester_of(req);
    auto ip_text = io::unmapped(ip).to_string();
    bool listed = std::find(s->local_ips.begin(), s->local_ips.end(), ip_text)
                  != s->local_ips.end();
    auto scope = io::classify(ip);
    bool usable = cfg_.test_mode ? scope != io::address_scope::unusable
                                 : scope == io::address_scope::public_;
    if (!listed || !usable)
      return refuse(403, visor_unreachable);
  }
  if (!store_.contains(key_of(*s))) {
    // the bounds first: a refused entry costs its source no token
    if (auto err = store_.put_check(*s, t)) {
      ++n_.refused;
      return error_reply(err);
    }
    auto source = source_of(req.remote);
    if (!budget_.take(source, 1, t)) {
      ++n_.refused;
      return rate_limited(source);
    }
  }
  if (auto err = store_.put(*s, cfg_.entry_ttl, t)) {
    ++n_.refused;
    return error_reply(err);
  }
  ++n_.registered;
  return json_reply(wire::encode_service(*s));
}

http::response sd_api::remove_service(const http::request& req, const public_key& caller,
                                      int64_t t) {
  auto type = type_of(req);
  if (!type)
    return error_reply(type.error());
  auto key = key_of_param(req, std::move(*type));
  if (!key)
    return error_reply(key.error());
  if (key->pk != caller)
    return error_reply(403, pk_mismatch);
  if (!store_.remove(*key, t))
    return error_reply(404, service_not_found);
  ++n_.deleted;
  return json_reply("true");
}

http::response sd_api::deregister(const http::request& req) {
  if (auto err = verify_network_monitor(req.header("NM-PK").value_or(""),
                                        req.header("NM-Sign").value_or(""), cfg_.whitelist))
    return error_reply(403, "invalid network monitor key: " + message_of(err));
  auto type = std::string{req.param("type")};
  if (type.empty() || type.size() > max_type)
    return error_reply(400, missing_type);
  auto v = wt::parse_json(req.body, cfg_.max_body, 2);
  if (!v || !v->is_array() || v->get_array().size() > max_deregister_keys)
    return error_reply(400, "error bad input: expected a JSON array of at most "
                              + std::to_string(max_deregister_keys) + " public keys");
  std::vector<public_key> keys;
  for (const auto& item : v->get_array()) {
    std::string_view text;
    if (wt::json_string(item, 66, text))
      return error_reply(400, "error bad input: not a public key");
    auto pk = public_key::from_hex(text);
    if (!pk)
      return error_reply(400, "error bad input: not a public key");
    keys.push_back(*pk);
  }
  auto t = now();
  for (const auto& pk : keys)
    n_.deregistered += store_.remove_key(type, pk, t);
  return http::make_response(200, "true");
}

http::response sd_api::metrics() {
  std::string out;
  constexpr std::string_view p = "sd_";
  append_metric(out, p, "services", "gauge", store_.size());
  out += "# TYPE sd_services_by_type gauge\n";
  for (const auto& [type, count] : store_.count_by_type()) // type names are [a-z-]
    out += "sd_services_by_type{type=\"" + type + "\"} " + std::to_string(count) + '\n';
  append_metric(out, p, "registrations_total", "counter", n_.registered);
  append_metric(out, p, "registrations_refused_total", "counter", n_.refused);
  append_metric(out, p, "rate_limited_total", "counter", n_.rate_limited);
  append_metric(out, p, "httpauth_refused_total", "counter", n_.auth_refused);
  append_metric(out, p, "deleted_total", "counter", n_.deleted);
  append_metric(out, p, "deregistered_total", "counter", n_.deregistered);
  append_metric(out, p, "expired_total", "counter", n_.expired);
  append_metric(out, p, "nonce_keys", "gauge", guard_.size());
  append_metric(out, p, "rate_limit_sources", "gauge", budget_.tracked());
  if (extra_metrics_)
    out += extra_metrics_();
  return http::make_response(200, std::move(out), "text/plain; version=0.0.4");
}

} // namespace skywire::services::service_discovery
