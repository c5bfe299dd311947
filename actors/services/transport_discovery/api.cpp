#include "actors/services/transport_discovery/api.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include <boost/json/value.hpp>

#include "actors/services/dmsg_discovery_rules.hpp"
#include "actors/services/http_service.hpp"
#include "actors/services/service_clock.hpp"
#include "actors/services/transport_discovery/errors.hpp"
#include "actors/services/transport_discovery/rules.hpp"
#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::services::transport_discovery {

namespace wt = wire::transport;

namespace {

constexpr size_t max_deregister_ids = 4096;

/// An entry list as json.Encoder writes it: the array, then "\n".
std::string encode_entry_list(const std::vector<wt::entry>& entries) {
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0)
      out += ',';
    wt::append_entry_json(out, entries[i]);
  }
  out += "]\n";
  return out;
}

/// The {key} of /transports/{key}: "id:<uuid>" or "edge:<pk>".
struct transport_key {
  enum kind { id, edge, other } k = other;
  std::string_view value;
};

transport_key split_key(std::string_view key) {
  if (key.starts_with("id:"))
    return {transport_key::id, key.substr(3)};
  if (key.starts_with("edge:"))
    return {transport_key::edge, key.substr(5)};
  return {};
}

http::response not_found_route() {
  return error_reply(404, "not found");
}

} // namespace

tpd_api::tpd_api(tpd_config cfg, std::unique_ptr<transport_store> store)
  : cfg_(std::move(cfg)), store_(std::move(store)), guard_(cfg_.max_nonce_keys),
    budget_(source_budget_config{cfg_.new_burst, cfg_.new_per_minute, cfg_.max_sources_tracked}) {
  if (!store_)
    store_ = std::make_unique<memory_transport_store>(
      memory_store_limits{cfg_.max_entries, cfg_.max_per_edge});
  started_at_ = now();
}

int64_t tpd_api::now() const {
  return cfg_.clock ? cfg_.clock() : system_unix_ns();
}

http::response tpd_api::handle(tpd_op op, const http::request& req) {
  switch (op) {
  case tpd_op::register_transports:
    return authenticated(req, [&](const public_key& caller, int64_t t) {
      return register_transports(req, caller, t);
    });
  case tpd_op::get_transport: return get_transport(req);
  case tpd_op::delete_transport: return delete_transport(req);
  case tpd_op::all_transports: return all_transports(req);
  case tpd_op::deregister: return deregister(req);
  case tpd_op::statuses: return http::make_response(410, {}, {});
  case tpd_op::nonce: return nonce(req);
  case tpd_op::health: return health();
  case tpd_op::metrics: return metrics();
  }
  return error_reply(500, "something unexpected happened");
}

size_t tpd_api::sweep() {
  auto t = now();
  auto n = store_->sweep(t);
  n_.expired += n;
  budget_.sweep(t);
  return n;
}

template <class F>
http::response tpd_api::authenticated(const http::request& req, F&& fn) {
  return authenticate(
    guard_, budget_, req, now(), [this] { ++n_.auth_refused; },
    [this](const std::string& source) { return rate_limited(source); }, std::forward<F>(fn));
}

http::response tpd_api::rate_limited(const std::string& source) {
  ++n_.rate_limited;
  return budget_.refusal([](unsigned st, std::string_view t) { return error_reply(st, t); }, source,
                         "new keys and transports");
}

http::response tpd_api::register_transports(const http::request& req, const public_key& caller,
                                            int64_t t) {
  auto refuse = [&](const caf::error& err) {
    ++n_.refused;
    return error_reply(err);
  };
  auto list = wt::decode_signed_entry_list(req.body, cfg_.max_entries_per_post, cfg_.max_body);
  if (!list)
    return refuse(make_error(tpd_errc::bad_input, "error bad input: " + describe(list.error())
                                                    + " (at most "
                                                    + std::to_string(cfg_.max_entries_per_post)
                                                    + " entries per request)"));
  std::set<transport_id> fresh;
  for (const auto& se : *list)
    if (!store_->get(se.entry.id, t))
      fresh.insert(se.entry.id);
  // New transports cost their source a token each, before any signature is
  // verified; refreshes of stored ones cost nothing.
  if (!fresh.empty()) {
    auto source = source_of(req.remote);
    if (!budget_.take(source, fresh.size(), t)) {
      ++n_.refused;
      return rate_limited(source);
    }
  }
  for (const auto& se : *list) {
    if (auto err = check_registration(se, caller)) {
      if (err.category() == tpd_category() && err.code() == static_cast<uint8_t>(tpd_errc::forged))
        ++n_.forged;
      return refuse(err);
    }
  }
  // All or nothing for new transports: what this request added is removed
  // again when a later entry does not fit.
  std::vector<transport_id> added;
  for (const auto& se : *list) {
    bool is_new = !store_->get(se.entry.id, t);
    if (auto err = store_->put(se.entry, cfg_.entry_ttl, t)) {
      for (const auto& id : added)
        store_->remove(id, t);
      return refuse(err);
    }
    if (is_new)
      added.push_back(se.entry.id);
  }
  n_.registered += list->size();
  return http::make_response(201, wt::encode_tpd_post_body(*list));
}

expected<transport_store::record> tpd_api::lookup(std::string_view id_text, int64_t t) const {
  auto id = wt::parse_uuid36(id_text);
  if (!id)
    return make_error(tpd_errc::bad_input, std::string{invalid_transport_id});
  auto r = store_->get(*id, t);
  if (!r)
    return make_error(tpd_errc::not_found, std::string{transport_not_found});
  return std::move(*r);
}

http::response tpd_api::get_transport(const http::request& req) {
  auto key = split_key(req.param("key"));
  if (key.k == transport_key::other)
    return not_found_route();
  return authenticated(req, [&](const public_key&, int64_t t) {
    if (key.k == transport_key::id) {
      auto r = lookup(key.value, t);
      if (!r)
        return error_reply(r.error());
      auto body = wt::encode_entry_json(r->entry);
      body += '\n';
      return http::make_response(200, std::move(body));
    }
    auto pk = public_key::from_hex(key.value);
    if (!pk)
      return error_reply(400, invalid_public_key);
    return http::make_response(200, encode_entry_list(store_->by_edge(*pk, t)));
  });
}

http::response tpd_api::delete_transport(const http::request& req) {
  auto key = split_key(req.param("key"));
  if (key.k != transport_key::id)
    return not_found_route();
  return authenticated(req, [&](const public_key& caller, int64_t t) {
    auto r = lookup(key.value, t);
    if (!r)
      return error_reply(r.error());
    auto id = r->entry.id;
    if (!r->entry.edge_index(caller))
      return error_reply(403, "only an edge of transport " + id.to_string() + " may delete it; "
                                + caller.hex() + " is not one");
    store_->remove(id, t);
    ++n_.deleted;
    return http::make_response(200, "transport deleted", "text/plain; charset=utf-8");
  });
}

http::response tpd_api::all_transports(const http::request& req) {
  auto p = page_of(req, cfg_.page_limit);
  if (!p)
    return error_reply(400, "error bad input: offset and limit must be numbers");
  auto page = store_->list(p->offset, p->limit, now());
  auto r = http::make_response(200, encode_entry_list(page.entries));
  add_page_headers(r, page.total, std::min(p->offset, page.total) + page.entries.size());
  return r;
}

http::response tpd_api::deregister(const http::request& req) {
  if (auto err = verify_network_monitor(req.header("NM-PK").value_or(""),
                                        req.header("NM-Sign").value_or(""), cfg_.whitelist))
    return error_reply(403, "invalid network monitor key: " + message_of(err));
  auto v = wt::parse_json(req.body, cfg_.max_body, 2);
  if (!v || !v->is_array() || v->get_array().size() > max_deregister_ids)
    return error_reply(400, "error bad input: expected a JSON array of at most "
                              + std::to_string(max_deregister_ids) + " transport IDs");
  std::vector<transport_id> ids;
  for (const auto& item : v->get_array()) {
    std::string_view text;
    if (wt::json_string(item, 36, text))
      return error_reply(400, invalid_transport_id);
    auto id = wt::parse_uuid36(text);
    if (!id)
      return error_reply(400, invalid_transport_id);
    ids.push_back(*id);
  }
  auto t = now();
  for (const auto& id : ids)
    if (store_->remove(id, t))
      ++n_.deregistered;
  return http::make_response(200, "null");
}

http::response tpd_api::nonce(const http::request& req) {
  return nonce_reply(guard_, req);
}

http::response tpd_api::health() {
  return health_answer(cfg_.version, started_at_, cfg_.dmsg_address);
}

http::response tpd_api::metrics() {
  std::string out;
  auto line = [&](std::string_view name, std::string_view type, uint64_t v) {
    out += "# TYPE tpd_";
    out += name;
    out += ' ';
    out += type;
    out += "\ntpd_";
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  line("transports", "gauge", store_->size());
  out += "# TYPE tpd_transports_by_type gauge\n";
  for (const auto& [type, count] : store_->count_by_type()) // type names are [a-z0-9]
    out += "tpd_transports_by_type{type=\"" + type + "\"} " + std::to_string(count) + '\n';
  line("registrations_total", "counter", n_.registered);
  line("registrations_refused_total", "counter", n_.refused);
  line("registrations_forged_total", "counter", n_.forged);
  line("rate_limited_total", "counter", n_.rate_limited);
  line("httpauth_refused_total", "counter", n_.auth_refused);
  line("deleted_total", "counter", n_.deleted);
  line("deregistered_total", "counter", n_.deregistered);
  line("expired_total", "counter", n_.expired);
  line("nonce_keys", "gauge", guard_.size());
  line("nonce_keys_forgotten_total", "counter", guard_.forgotten());
  line("rate_limit_sources", "gauge", budget_.tracked());
  if (extra_metrics_)
    out += extra_metrics_();
  return http::make_response(200, std::move(out), "text/plain; version=0.0.4");
}

} // namespace skywire::services::transport_discovery
