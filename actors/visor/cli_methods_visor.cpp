// The visor's methods of the CLI socket (cli_methods.hpp).
#include <algorithm>
#include <optional>

#include "actors/transport/summary_json.hpp"
#include "actors/visor/atoms.hpp"
#include "actors/visor/cli_methods.hpp"

namespace skywire::visor::cli {

namespace {

/// An answer that transport::to_json writes.
template <class T> convert<T> tp_json() {
  return {[](T& x) { return json::value(transport::to_json(x)); }};
}

// The transport methods (the reference's names, service "app-visor"); false
// when the method is none of them.
bool transport_methods(const method_call& c) {
  auto t = c.timeout;
  if (c.method == "app-visor.TransportTypes") {
    c.forward_typed(t, each<std::string>([](auto& x) { return json::value(x); }),
                    api::tp_types_atom::value);
  } else if (c.method == "app-visor.Transports") {
    auto f = filter_param(c.params);
    if (auto* b = std::get_if<bad_params>(&f))
      return c.refuse(b->text), true;
    c.forward_typed(t, tp_json<std::vector<api::transport_summary>>(), api::tp_list_atom::value,
                    std::get<api::transport_filter>(f));
  } else if (c.method == "app-visor.Transport") {
    auto tid = id_param(c.params);
    if (auto* b = std::get_if<bad_params>(&tid))
      return c.refuse(b->text), true;
    c.forward_typed(t, tp_json<api::transport_summary>(), api::tp_get_atom::value,
                    std::get<transport_id>(tid));
  } else if (c.method == "app-visor.AddTransport") {
    auto r = add_param(c.params);
    if (auto* b = std::get_if<bad_params>(&r))
      return c.refuse(b->text), true;
    auto req = std::get<api::transport_request>(r);
    // the dial has its own deadline: wait for it, and a little more
    auto wait = std::chrono::milliseconds{req.timeout_ms > 0 ? req.timeout_ms : 20'000}
                + std::chrono::seconds{5};
    c.forward_typed(std::max(t, wait), tp_json<api::transport_summary>(), api::tp_add_atom::value,
                    std::move(req));
  } else if (c.method == "app-visor.RemoveTransport") {
    auto tid = id_param(c.params);
    if (auto* b = std::get_if<bad_params>(&tid))
      return c.refuse(b->text), true;
    c.forward_typed(t, convert<api::tp_ok_atom>{[](auto&) { return json::value("ok"); }},
                    api::tp_remove_atom::value, std::get<transport_id>(tid));
  } else if (c.method == "app-visor.RemoveAllTransports") {
    c.forward_typed(t, convert<uint64_t>{[](auto& n) {
                      json::object o;
                      o["removed"] = n;
                      return json::value(std::move(o));
                    }},
                    api::tp_remove_all_atom::value);
  } else if (c.method == "app-visor.DiscoverTransportsByPK") {
    auto pk = pk_param(c.params, "pk");
    if (auto* b = std::get_if<bad_params>(&pk))
      return c.refuse(b->text), true;
    c.forward_typed(t, tp_json<std::vector<api::transport_entry>>(), api::tp_disc_pk_atom::value,
                    std::get<public_key>(pk));
  } else if (c.method == "app-visor.DiscoverTransportByID") {
    auto tid = id_param(c.params);
    if (auto* b = std::get_if<bad_params>(&tid))
      return c.refuse(b->text), true;
    c.forward_typed(t, convert<std::vector<api::transport_entry>>{[](auto& v) {
                      return v.empty() ? json::value(nullptr)
                                       : json::value(transport::to_json(v.front()));
                    }},
                    api::tp_disc_id_atom::value, std::get<transport_id>(tid));
  } else if (c.method == "transport.ping") {
    auto tid = id_param(c.params);
    if (auto* b = std::get_if<bad_params>(&tid))
      return c.refuse(b->text), true;
    c.forward_typed(t, convert<uint64_t>{[](auto& us) {
                      json::object o;
                      o["rtt_us"] = us;
                      return json::value(std::move(o));
                    }},
                    api::tp_ping_atom::value, std::get<transport_id>(tid));
  } else {
    return false;
  }
  return true;
}

// The router's methods (the reference's visor RPC names); false when the
// method is none of them.
bool routing_methods(const method_call& c) {
  if (c.method == "app-visor.RoutingRules") {
    c.forward(api::rt_rules_atom::value);
  } else if (c.method == "app-visor.RoutingRule" || c.method == "app-visor.RemoveRoutingRule") {
    auto r = route_id_param(c.params);
    if (auto* b = std::get_if<bad_params>(&r))
      return c.refuse(b->text), true;
    if (c.method == "app-visor.RoutingRule")
      c.forward(api::rt_rule_atom::value, std::get<uint32_t>(r));
    else
      c.forward(api::rt_remove_atom::value, std::get<uint32_t>(r));
  } else if (c.method == "visor.ping") {
    // ours: {"pk":…, "count":n, "size":n, "min_hops":n, "port":n (default 48), "paths":n}
    api::route_ping req;
    if (auto b = route_request(
            c.params, req.remote,
            "count 0..1000, size 0..65536, min_hops 0..255, port 1..65535, "
            "paths 1.."
                + std::to_string(api::max_test_paths),
            int_field{"count", 0, 1000, req.count}, int_field{"size", 0, 65536, req.size},
            int_field{"min_hops", 0, 255, req.min_hops}, int_field{"port", 1, 65535, req.port},
            int_field{"paths", 1, api::max_test_paths, req.paths}))
      return c.refuse(b->text), true;
    c.forward(api::rt_ping_atom::value, std::move(req));
  } else if (c.method == "visor.speed") {
    // ours: {"pk":…, "mib":n, "min_hops":n, "paths":n}
    api::route_speed req;
    if (auto b = route_request(c.params, req.remote,
                               "mib 1.." + std::to_string(api::max_speed_mib)
                                   + ", min_hops 0..255, paths 1.."
                                   + std::to_string(api::max_test_paths),
                               int_field{"mib", 1, api::max_speed_mib, req.mib},
                               int_field{"min_hops", 0, 255, req.min_hops},
                               int_field{"paths", 1, api::max_test_paths, req.paths}))
      return c.refuse(b->text), true;
    // the dial's deadline, then at least 10 MiB/s
    auto wait = api::speed_wait(req.mib);
    c.forward_within(wait, api::rt_speed_atom::value, std::move(req));
  } else if (c.method == "visor.routes") {
    c.forward(api::rt_routes_atom::value);
  } else if (c.method == "app-visor.SaveRoutingRule") {
    auto r = rule_param(c.params);
    if (auto* b = std::get_if<bad_params>(&r))
      return c.refuse(b->text), true;
    c.forward(api::rt_save_atom::value, std::move(std::get<std::vector<uint8_t>>(r)));
  } else {
    return false;
  }
  return true;
}

/// A request whose one param is params.<key>, a string of at most 64 bytes.
template <class Atom>
void forward_text(const method_call& c, const char* key, std::string_view problem, Atom atom) {
  const json::value* v = param(c.params, key);
  if (!v || !v->is_string() || v->get_string().size() > 64)
    return c.refuse(problem);
  c.forward(atom, std::string{v->get_string()});
}

// SkyNet forwarding and the reward address (the reference's visor RPC
// names; params as objects); false when the method is none of them.
bool fwd_methods(const method_call& c) {
  auto port = [&](const char* key) -> std::optional<uint16_t> {
    const json::value* v = param(c.params, key);
    if (!v || !v->is_int64() || v->get_int64() < 1 || v->get_int64() > 65535)
      return std::nullopt;
    return static_cast<uint16_t>(v->get_int64());
  };
  if (c.method == "app-visor.RegisterHTTPPort" || c.method == "app-visor.DeregisterHTTPPort") {
    auto p = port("port");
    if (!p)
      return c.refuse("params.port must be 1..65535"), true;
    if (c.method == "app-visor.RegisterHTTPPort")
      c.forward(api::fwd_register_atom::value, *p);
    else
      c.forward(api::fwd_deregister_atom::value, *p);
  } else if (c.method == "app-visor.ListHTTPPorts") {
    c.forward(api::fwd_list_atom::value);
  } else if (c.method == "app-visor.Connect") {
    auto pk = pk_param(c.params, "pk");
    if (auto* b = std::get_if<bad_params>(&pk))
      return c.refuse(b->text), true;
    auto r = port("remote_port");
    auto l = port("local_port");
    if (!r || !l)
      return c.refuse("params.remote_port and params.local_port must be 1..65535"), true;
    c.forward(api::rev_connect_atom::value, std::get<public_key>(pk), *r, *l);
  } else if (c.method == "app-visor.Disconnect") {
    forward_text(c, "id", "params.id must be a connection id", api::rev_disconnect_atom::value);
  } else if (c.method == "app-visor.List") {
    c.forward(api::rev_list_atom::value);
  } else if (c.method == "app-visor.GetRewardAddress") {
    c.forward(api::reward_get_atom::value);
  } else if (c.method == "app-visor.SetRewardAddress") {
    forward_text(c, "address", "params.address must be a skycoin address",
                 api::reward_set_atom::value);
  } else if (c.method == "app-visor.DeleteRewardAddress") {
    c.forward(api::reward_delete_atom::value);
  } else {
    return false;
  }
  return true;
}

} // namespace

bool visor_methods(const method_call& c) {
  if (c.method == "visor.pk") {
    c.forward(pk_atom::value);
  } else if (c.method == "visor.info") {
    c.forward(info_atom::value);
  } else if (c.method == "visor.actors") {
    c.forward(actors_atom::value);
  } else if (c.method == "visor.halt") {
    c.forward(halt_atom::value);
  } else if (c.method == "debug.crash") {
    if (!c.fault_injection) {
      c.send(error_line(c.rid, method_not_found,
                        "debug.crash is disabled (the visor was not started with "
                        "--enable-fault-injection)"));
      return true;
    }
    const json::value* actor = param(c.params, "actor");
    if (!actor || !actor->is_string() || actor->get_string().empty()
        || actor->get_string().size() > 256) {
      c.refuse("params.actor must name a child actor");
      return true;
    }
    c.forward(crash_atom::value, std::string{actor->get_string()});
  } else {
    return transport_methods(c) || routing_methods(c) || fwd_methods(c);
  }
  return true;
}

} // namespace skywire::visor::cli
