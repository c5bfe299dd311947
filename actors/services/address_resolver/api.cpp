#include "actors/services/address_resolver/api.hpp"

#include <algorithm>

#include <boost/json/value.hpp>

#include "actors/services/address_resolver/errors.hpp"
#include "actors/services/dmsg_discovery_rules.hpp"
#include "actors/services/http_service.hpp"
#include "actors/services/service_clock.hpp"
#include "messages/wire/httpauth.hpp"
#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"
#include "runtime/io/address_scope.hpp"

namespace skywire::services::address_resolver {

namespace wt = wire::transport;
namespace ip = boost::asio::ip;

namespace {

constexpr size_t max_deregister_keys = 4096;

/// Go's %v of addrresolver.LocalAddresses: {52345 [192.168.1.10 10.0.0.5]}.
std::string go_text(const wt::local_addresses& la) {
  std::string out = "{" + std::to_string(la.prt.value) + " [";
  for (size_t i = 0; i < la.addresses.size(); ++i) {
    if (i > 0)
      out += ' ';
    out += la.addresses[i];
  }
  return out + "]}";
}

} // namespace

ar_api::ar_api(ar_config cfg, std::unique_ptr<binding_store> store)
  : cfg_(std::move(cfg)), policy_{cfg_.test_mode}, store_(std::move(store)),
    guard_(cfg_.max_nonce_keys),
    budget_(source_budget_config{cfg_.new_burst, cfg_.new_per_minute, cfg_.max_sources_tracked}) {
  if (!store_)
    store_ = std::make_unique<memory_binding_store>(
      memory_store_limits{cfg_.max_bindings, cfg_.max_per_source});
  started_at_ = now();
}

int64_t ar_api::now() const {
  return cfg_.clock ? cfg_.clock() : system_unix_ns();
}

http::response ar_api::handle(ar_op op, const http::request& req) {
  switch (op) {
  case ar_op::bind_stcpr:
    return authenticated(req, [&](const public_key& caller, int64_t t) {
      return bind_stcpr(req, caller, t);
    });
  case ar_op::unbind_stcpr:
    return authenticated(req, [&](const public_key& caller, int64_t t) {
      if (store_->unbind(network::stcpr, caller, t))
        ++n_.stcpr_unbinds;
      return http::make_response(200, {}, "text/plain; charset=utf-8");
    });
  case ar_op::resolve:
    return authenticated(req, [&](const public_key& caller, int64_t t) {
      return resolve(req, caller, t);
    });
  case ar_op::transports: return transports(req);
  case ar_op::deregister: return deregister(req);
  case ar_op::nonce: return nonce(req);
  case ar_op::health: return health();
  case ar_op::metrics: return metrics();
  }
  return error_reply(500, "something unexpected happened");
}

size_t ar_api::sweep() {
  auto t = now();
  auto n = store_->sweep(t);
  n_.expired += n;
  budget_.sweep(t);
  return n;
}

template <class F>
http::response ar_api::authenticated(const http::request& req, F&& fn) {
  return authenticate(
    guard_, budget_, req, now(), [this] { ++n_.auth_refused; },
    [this](const std::string& source) { return rate_limited(source); }, std::forward<F>(fn));
}

http::response ar_api::rate_limited(const std::string& source) {
  ++n_.rate_limited;
  return budget_.refusal([](unsigned st, std::string_view t) { return error_reply(st, t); }, source,
                         "new keys and bindings");
}

http::response ar_api::bind_stcpr(const http::request& req, const public_key& caller, int64_t t) {
  auto refuse = [&](http::response r) {
    ++n_.stcpr_refused;
    return r;
  };
  auto la = wt::decode_local_addresses(req.body);
  if (!la)
    return refuse(error_reply(400, "error bad input: " + describe(la.error())));
  auto observed = requester_of(req);
  auto ip_text = observed.to_string();
  if (auto why = policy_.stcpr_refusal(observed))
    return refuse(error_reply(400, "Cannot bind " + caller.hex() + " to " + ip_text
                                     + " (STCPR). Invalid IP address in request: "
                                     + go_text(*la) + " (" + *why + ")"));
  bool listed = std::any_of(la->addresses.begin(), la->addresses.end(), [&](const auto& a) {
    auto parsed = io::parse_host(a);
    return parsed && *parsed == observed;
  });
  if (!listed)
    // behind a NAT: the visor cannot be dialed at the address it binds from
    return refuse(error_reply(400, "Cannot bind " + caller.hex() + " to " + ip_text
                                     + " (STCPR). Remote address not present in request: "
                                     + go_text(*la)));
  binding b;
  b.data.remote_addr = ip_text;
  b.data.local = std::move(*la);
  b.observed = observed;
  b.source = source_of(req.remote);
  if (!store_->resolve(network::stcpr, caller, t) && !budget_.take(b.source, 1, t)) {
    ++n_.stcpr_refused;
    return rate_limited(b.source);
  }
  if (auto err = store_->bind(network::stcpr, caller, std::move(b), cfg_.entry_ttl, t))
    return refuse(error_reply(err));
  ++n_.stcpr_binds;
  return http::make_response(200, {}, "text/plain; charset=utf-8");
}

http::response ar_api::resolve(const http::request& req, const public_key& caller, int64_t t) {
  auto type_text = req.param("type");
  auto pk = public_key::from_hex(req.param("pk"));
  if (!pk || pk->is_null())
    return error_reply(400, "public key is invalid");
  auto n = network_of(type_text);
  if (!n) {
    ++n_.not_found;
    return error_reply(404, std::string{no_entry} + " (unknown transport type \""
                              + std::string{type_text} + "\")");
  }
  auto rec = store_->resolve(*n, *pk, t);
  if (!rec) {
    ++n_.not_found;
    return error_reply(404, no_entry);
  }
  auto vis = policy_.visible_to(rec->observed, requester_of(req));
  if (vis == visibility::hidden) {
    ++n_.hidden;
    return error_reply(404, std::string{no_entry}
                              + " that your address can reach (its only known address is a "
                              + io::to_string(io::classify(rec->observed)) + " one)");
  }
  auto data = rec->data;
  data.is_local = vis == visibility::local;
  if (!data.is_local)
    data.local.addresses.clear(); // only a peer behind the same address can use them
  ++n_.resolves;
  auto r = http::make_response(200, wt::encode_visor_data(data));
  if (*n == network::sudph)
    push_to(*rec, *pk, caller, t);
  return r;
}

void ar_api::push_to(const binding& receiver, const public_key& receiver_pk,
                     const public_key& caller, int64_t t) {
  // The receiver punches a hole toward the caller: it needs the caller's
  // sudph address, and only if it can use it.
  auto sender = store_->resolve(network::sudph, caller, t);
  if (!sender) {
    ++n_.pushes_unbound;
    return;
  }
  if (policy_.visible_to(sender->observed, receiver.observed) == visibility::hidden) {
    ++n_.pushes_withheld;
    return;
  }
  if (!sudph_)
    return;
  ++n_.pushes;
  sudph_->push(receiver_pk, receiver.channel,
               wt::encode_ar_push({caller, sender->data.remote_addr}));
}

bool ar_api::sudph_bound(const public_key& pk, const wt::visor_data& data,
                         const ip::address& observed, uint64_t channel) {
  auto t = now();
  binding b;
  b.data = data;
  b.data.is_local = false;
  b.observed = io::unmapped(observed);
  b.source = source_of(b.observed.to_string());
  b.channel = channel;
  if (auto err = store_->bind(network::sudph, pk, std::move(b), std::chrono::nanoseconds{0}, t)) {
    ++n_.sudph_refused;
    if (sudph_)
      sudph_->drop(pk, channel);
    return false;
  }
  ++n_.sudph_binds;
  return true;
}

void ar_api::sudph_unbound(const public_key& pk, uint64_t channel) {
  if (store_->unbind(network::sudph, pk, now(), channel))
    ++n_.sudph_unbinds;
}

http::response ar_api::transports(const http::request& req) {
  auto p = page_of(req, cfg_.page_limit);
  if (!p)
    return error_reply(400, "error bad input: offset and limit must be numbers");
  auto t = now();
  auto sudph = store_->list(network::sudph, p->offset, p->limit, t);
  auto stcpr = store_->list(network::stcpr, p->offset, p->limit, t);
  wt::ar_transports body{std::move(sudph.keys), std::move(stcpr.keys)};
  auto total = std::max(sudph.total, stcpr.total);
  auto next = std::min(p->offset, total) + std::max(body.sudph.size(), body.stcpr.size());
  auto r = http::make_response(200, wt::encode_ar_transports(body));
  add_page_headers(r, total, next);
  return r;
}

http::response ar_api::deregister(const http::request& req) {
  if (auto err = verify_network_monitor(req.header("NM-PK").value_or(""),
                                        req.header("NM-Sign").value_or(""), cfg_.whitelist))
    return error_reply(403, "invalid network monitor key: " + message_of(err));
  auto n = network_of(req.param("network"));
  if (!n)
    return error_reply(400, "missing network type in request");
  auto v = wt::parse_json(req.body, cfg_.max_body, 2);
  if (!v || !v->is_array() || v->get_array().size() > max_deregister_keys)
    return error_reply(400, "error bad input: expected a JSON array of at most "
                              + std::to_string(max_deregister_keys) + " public keys");
  std::vector<public_key> keys;
  for (const auto& item : v->get_array()) {
    std::string_view text;
    if (wt::json_string(item, 66, text))
      return error_reply(400, "error bad input: expected public keys");
    auto pk = public_key::from_hex(text);
    if (!pk)
      return error_reply(400, "error bad input: expected public keys");
    keys.push_back(*pk);
  }
  auto t = now();
  for (const auto& pk : keys)
    if (store_->unbind(*n, pk, t))
      ++n_.deregistered;
  return http::make_response(200, "null");
}

http::response ar_api::nonce(const http::request& req) {
  return nonce_reply(guard_, req);
}

http::response ar_api::health() {
  return health_answer(cfg_.version, started_at_, cfg_.dmsg_address);
}

http::response ar_api::metrics() {
  std::string out;
  auto line = [&](std::string_view name, std::string_view type, uint64_t v) {
    out += "# TYPE ar_";
    out += name;
    out += ' ';
    out += type;
    out += "\nar_";
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  out += "# TYPE ar_bindings gauge\n";
  for (auto n : networks)
    out += std::string{"ar_bindings{type=\""} + to_string(n) + "\"} "
           + std::to_string(store_->size(n)) + '\n';
  line("stcpr_binds_total", "counter", n_.stcpr_binds);
  line("stcpr_binds_refused_total", "counter", n_.stcpr_refused);
  line("stcpr_unbinds_total", "counter", n_.stcpr_unbinds);
  line("sudph_binds_total", "counter", n_.sudph_binds);
  line("sudph_binds_refused_total", "counter", n_.sudph_refused);
  line("sudph_unbinds_total", "counter", n_.sudph_unbinds);
  line("resolves_total", "counter", n_.resolves);
  line("resolves_not_found_total", "counter", n_.not_found);
  line("resolves_hidden_total", "counter", n_.hidden);
  line("pushes_requested_total", "counter", n_.pushes);
  line("pushes_withheld_total", "counter", n_.pushes_withheld);
  line("pushes_caller_unbound_total", "counter", n_.pushes_unbound);
  line("rate_limited_total", "counter", n_.rate_limited);
  line("httpauth_refused_total", "counter", n_.auth_refused);
  line("deregistered_total", "counter", n_.deregistered);
  line("expired_total", "counter", n_.expired);
  line("nonce_keys", "gauge", guard_.size());
  line("nonce_keys_forgotten_total", "counter", guard_.forgotten());
  line("rate_limit_sources", "gauge", budget_.tracked());
  if (sudph_metrics_)
    out += sudph_metrics_();
  if (extra_metrics_)
    out += extra_metrics_();
  return http::make_response(200, std::move(out), "text/plain; version=0.0.4");
}

} // namespace skywire::services::address_resolver
