#include "actors/services/dmsg_discovery_api.hpp"

#include "actors/services/http_service.hpp"
#include "messages/wire/json/go_json.hpp"

namespace skywire::services {

namespace dmsgw = wire::dmsg;

http::response message_response(unsigned status, std::string_view message) {
  std::string body;
  wire::json::writer w{body};
  w.begin_object().key("message").string(message).key("code").integer(status).end_object();
  return http::make_response(status, std::move(body));
}

namespace {

http::response error_response(const caf::error& err) {
  return message_response(status_of(err), message_of(err));
}

http::response json_ok(std::string body) {
  return http::make_response(200, std::move(body));
}

const char* not_found_text = "entry of public key is not found";

} // namespace

dmsg_discovery_api::dmsg_discovery_api(dmsg_discovery_config cfg,
                                       std::unique_ptr<discovery_store> store)
  : cfg_(std::move(cfg)), store_(std::move(store)),
    budget_(source_budget_config{cfg_.new_keys_burst, cfg_.new_keys_per_minute,
                                 cfg_.max_sources_tracked}) {
  if (!store_)
    store_ = std::make_unique<memory_discovery_store>(cfg_.max_entries);
  rules_.test_mode = cfg_.test_mode;
  rules_.max_age = cfg_.max_age;
  rules_.max_ahead = cfg_.max_ahead;
  started_at_ = now();
}

http::response dmsg_discovery_api::handle(discovery_op op, const http::request& req) {
  switch (op) {
    case discovery_op::get_entry: return get_entry(req);
    case discovery_op::post_entry: return post_entry(req);
    case discovery_op::delete_entry: return delete_entry(req);
    case discovery_op::entries: return key_list(false, req);
    case discovery_op::visor_entries: return key_list(true, req);
    case discovery_op::available_servers: return servers(true);
    case discovery_op::all_servers: return servers(false);
    case discovery_op::deregister: return deregister(req);
    case discovery_op::health: return health();
    case discovery_op::metrics: return metrics();
  }
  return message_response(500, "something unexpected happened");
}

size_t dmsg_discovery_api::sweep() {
  auto t = now();
  auto n = store_->sweep(t);
  swept_ += n;
  budget_.sweep(t); // buckets that have refilled carry no information
  return n;
}

http::response dmsg_discovery_api::get_entry(const http::request& req) {
  auto pk = public_key::from_hex(req.param("pk"));
  if (!pk)
    return message_response(400, "error bad input");
  if (pk->is_null()) // the reference answers the null key as not found
    return message_response(404, not_found_text);
  auto e = store_->get(*pk, now());
  if (!e)
    return message_response(404, not_found_text);
  return json_ok(dmsgw::encode(*e));
}

http::response dmsg_discovery_api::post_entry(const http::request& req) {
  dmsgw::decode_limits lim;
  lim.max_bytes = cfg_.max_body;
  auto e = dmsgw::decode(req.body, lim);
  if (!e) {
    ++posts_refused_;
    return message_response(400, "error bad input: " + describe(e.error()));
  }
  auto t = now();
  auto refuse = [&](const caf::error& err) {
    ++posts_refused_;
    return error_response(err);
  };
  auto stored = store_->get(e->static_pk, t);
  // A new key costs a token of its source's budget, checked before the
  // signature (so a flood of fresh keys costs no verification past it).
  if (!stored) {
    auto key = source_of(req.remote);
    if (!budget_.take(key, 1, t)) {
      ++posts_refused_;
      ++posts_rate_limited_;
      return budget_.refusal(message_response, key, "new keys");
    }
  }
  if (auto err = validate_fields(*e, t, rules_))
    return refuse(err);
  if (auto err = verify_signature(*e))
    return refuse(err);
  if (stored)
    if (auto err = validate_update(*e, *stored))
      return refuse(err);
  std::chrono::nanoseconds ttl{0};
  if (e->server)
    ttl = cfg_.server_ttl;
  else if (e->client)
    ttl = cfg_.client_ttl;
  if (req.query_param("timeout") == "true")
    ttl = cfg_.legacy_timeout_ttl;
  if (auto err = store_->put(*e, ttl, t))
    return refuse(make_error(discovery_errc::full,
                             "discovery is full (" + std::to_string(cfg_.max_entries)
                               + " entries): no new entry can be stored until others expire"));
  ++posts_accepted_;
  return message_response(200, stored ? "wrote new entry iteration" : "wrote a new entry");
}

http::response dmsg_discovery_api::delete_entry(const http::request& req) {
  dmsgw::decode_limits lim;
  lim.max_bytes = cfg_.max_body;
  auto e = dmsgw::decode(req.body, lim);
  if (!e)
    return message_response(400, "error bad input: " + describe(e.error()));
  if (e->static_pk.is_null())
    return message_response(400, "error bad input");
  if (auto err = verify_signature(*e))
    return error_response(err);
  auto t = now();
  auto stored = store_->get(e->static_pk, t);
  if (!stored) // as the reference: deleting what is not there succeeds
    return message_response(200, "deleted entry");
  // A delete must be at least as new as what it deletes: an old signed entry
  // captured off the wire cannot be replayed to remove a newer one.
  if (e->sequence < stored->sequence)
    return error_response(make_error(discovery_errc::validation,
                                     "entry validation error: delete carries an older sequence"));
  store_->remove(e->static_pk);
  return message_response(200, "deleted entry");
}

http::response dmsg_discovery_api::key_list(bool visors_only, const http::request& req) {
  auto t = now();
  auto keys = store_->client_keys(t); // ordered by key: stable pages
  if (visors_only) {
    std::vector<public_key> visors;
    for (const auto& pk : keys)
      if (auto e = store_->get(pk, t); e && e->client_type == "visor")
        visors.push_back(pk);
    keys = std::move(visors);
  }
  auto page = page_of(req, cfg_.entries_page_limit);
  if (!page)
    return message_response(400, "error bad input: offset and limit must be numbers");
  auto total = keys.size();
  auto from = std::min(page->offset, total);
  auto to = std::min(total, from + page->limit);
  std::vector<public_key> slice(keys.begin() + static_cast<std::ptrdiff_t>(from),
                                keys.begin() + static_cast<std::ptrdiff_t>(to));
  auto r = json_ok(dmsgw::encode_key_list(slice));
  add_page_headers(r, total, to);
  return r;
}

http::response dmsg_discovery_api::servers(bool available_only) {
  auto t = now();
  auto list = available_only ? store_->available_servers(cfg_.available_limit, t)
                             : store_->all_servers(t);
  if (list.empty())
    return message_response(404, "no delegated dmsg servers available for remote");
  return json_ok(dmsgw::encode_list(list));
}

http::response dmsg_discovery_api::deregister(const http::request& req) {
  if (auto err = verify_network_monitor(req.header("NM-PK").value_or(""),
                                        req.header("NM-Sign").value_or(""), cfg_.whitelist))
    return error_response(err);
  dmsgw::decode_limits lim;
  lim.max_bytes = cfg_.max_body;
  auto keys = dmsgw::decode_key_list(req.body, lim);
  if (!keys)
    return message_response(400, "error bad input: " + describe(keys.error()));
  size_t n = 0;
  for (const auto& pk : *keys)
    if (store_->remove(pk))
      ++n;
  return message_response(200, "deleted " + std::to_string(n) + " entries");
}

http::response dmsg_discovery_api::health() {
  return health_answer(cfg_.version, started_at_, cfg_.dmsg_address);
}

http::response dmsg_discovery_api::metrics() {
  auto c = store_->count();
  std::string out;
  auto line = [&](const char* name, const char* type, uint64_t v) {
    out += "# TYPE dmsg_discovery_";
    out += name;
    out += ' ';
    out += type;
    out += "\ndmsg_discovery_";
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  line("client_entries", "gauge", c.clients);
  line("server_entries", "gauge", c.servers);
  line("posts_accepted_total", "counter", posts_accepted_);
  line("posts_refused_total", "counter", posts_refused_);
  line("posts_rate_limited_total", "counter", posts_rate_limited_);
  line("expired_total", "counter", swept_);
  if (extra_metrics_)
    out += extra_metrics_();
  return http::make_response(200, std::move(out), "text/plain; version=0.0.4");
}

} // namespace skywire::services
