// skywire cli visor route ls-rules | rule | rm-rule | add-rule app|fwd|intfwd
// (reference §7.4, §4.10), each with --help, --json, --rpc ADDR and -c FILE.
// They call the visor's router methods (the reference's names:
// app-visor.RoutingRules, RoutingRule, SaveRoutingRule, RemoveRoutingRule)
// over the CLI socket; --json prints the reference's RuleSummary objects.
#include <iostream>
#include <limits>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/visor_call.hpp"
#include "messages/wire/routing/rule.hpp"
#include "runtime/config/duration.hpp"

namespace po = boost::program_options;
namespace json = boost::json;
namespace wr = skywire::wire::routing;

namespace skywire::cli {

namespace {

/// Rules as a table: id, type, local and remote address, next route and
/// transport (the reference's columns).
void print_rules(const json::value& v) {
  std::vector<std::vector<std::string>> rows{
    {"id", "type", "local-port", "remote-port", "remote-pk", "next-route-id", "next-transport-id"}};
  std::vector<const json::value*> list;
  if (v.is_array())
    for (const auto& x : v.get_array())
      list.push_back(&x);
  else
    list.push_back(&v);
  for (const auto* x : list) {
    auto r = wr::decode_summary_json(json::serialize(*x));
    if (!r) {
      rows.push_back({json_field(*x, "key_route_id"), "?", "-", "-", "-", "-", "-"});
      continue;
    }
    std::vector<std::string> row{std::to_string(r->key.value), wr::to_string(r->type)};
    switch (r->type) {
      case wr::rule_type::consume: // src = remote, dst = local
        row.insert(row.end(), {std::to_string(r->desc.dst_port.value),
                               std::to_string(r->desc.src_port.value), r->desc.src_pk.hex(), "-", "-"});
        break;
      case wr::rule_type::forward: // src = local, dst = remote
        row.insert(row.end(), {std::to_string(r->desc.src_port.value),
                               std::to_string(r->desc.dst_port.value), r->desc.dst_pk.hex(),
                               std::to_string(r->next_route.value), r->next_transport.to_string()});
        break;
      case wr::rule_type::intermediary_forward:
        row.insert(row.end(), {"-", "-", "-", std::to_string(r->next_route.value),
                               r->next_transport.to_string()});
        break;
    }
    rows.push_back(std::move(row));
  }
  print_table(rows);
}

/// Calls `method` and prints its rule(s): JSON with --json, else the table.
int show_rules(const visor_flags& c, const std::string& method, const json::object& params) {
  return call_and_print(c, method, params, print_rules);
}

/// A route ID argument (1 .. 2^32-1).
std::optional<uint32_t> parse_rid(const std::string& s) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  auto n = std::stoull(s);
  if (n == 0 || n > std::numeric_limits<uint32_t>::max())
    return std::nullopt;
  return static_cast<uint32_t>(n);
}

std::optional<uint16_t> parse_port(const std::string& s) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  auto n = std::stoul(s);
  if (n > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(n);
}

// ---- ls-rules / rule -----------------------------------------------------------------------

int route_ls(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  auto desc = visor_options(argv0, " [options]", "List the visor's routing rules.", c);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  return show_rules(c, "app-visor.RoutingRules", {});
}

int route_rule(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string id;
  auto desc = visor_options(argv0, " <route-id> [options]", "Show one routing rule.", c);
  desc.add_options()("id", po::value(&id)->value_name("ID"), "route ID");
  po::positional_options_description pos;
  pos.add("id", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  auto rid = parse_rid(id);
  if (!rid)
    return usage_error(argv0, "a route ID (1..4294967295) is required", desc);
  json::object params;
  params["id"] = *rid;
  return show_rules(c, "app-visor.RoutingRule", params);
}

// ---- rm-rule -------------------------------------------------------------------------------

int route_rm(const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  std::string id;
  bool all = false;
  auto desc = visor_options(argv0, " <route-id> | -a [options]", "Remove routing rule(s).", c);
  desc.add_options()("id", po::value(&id)->value_name("ID"), "route ID")(
    "all,a", po::bool_switch(&all), "remove every rule");
  po::positional_options_description pos;
  pos.add("id", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  std::vector<uint32_t> ids;
  int rc = 0;
  if (all == !id.empty())
    return usage_error(argv0, "give either a route ID or -a", desc);
  if (all) {
    auto v = visor_call(c, "app-visor.RoutingRules", {}, rc);
    if (!v)
      return rc;
    if (v->is_array())
      for (const auto& x : v->get_array())
        if (auto n = parse_rid(json_field(x, "key_route_id")))
          ids.push_back(*n);
  } else {
    auto rid = parse_rid(id);
    if (!rid)
      return usage_error(argv0, "not a route ID: " + id, desc);
    ids.push_back(*rid);
  }
  json::array removed;
  for (auto rid : ids) {
    json::object params;
    params["id"] = rid;
    if (!visor_call(c, "app-visor.RemoveRoutingRule", params, rc))
      return rc;
    removed.emplace_back(rid);
  }
  if (c.json) {
    json::object o;
    o["removed"] = std::move(removed);
    std::cout << json::serialize(o) << '\n';
  } else {
    std::cout << "removed " << removed.size() << (removed.size() == 1 ? " rule\n" : " rules\n");
  }
  return exit_ok;
}

// ---- add-rule app | fwd | intfwd -----------------------------------------------------------

struct rule_flags {
  std::string keep_alive = "30s";
  std::string rid, next_rid, next_tp, lpk, lport, rpk, rport;
};

/// Adds the flags of `kind` (the reference's short names) and their positional order.
void rule_options(po::options_description& desc, po::positional_options_description& pos,
                  rule_flags& f, const std::string& kind) {
  desc.add_options()("keep-alive", po::value(&f.keep_alive)->value_name("DURATION"),
                     "the rule's keep-alive (default 30s)")(
    "rid,i", po::value(&f.rid)->value_name("ID"), "route ID (the rule's key)");
  pos.add("rid", 1);
  if (kind != "app") {
    desc.add_options()(kind == "fwd" ? "nrid,j" : "nrid,n", po::value(&f.next_rid)->value_name("ID"),
                       "next route ID")(kind == "fwd" ? "ntpid,k" : "ntpid,t",
                                        po::value(&f.next_tp)->value_name("TPID"), "next transport ID");
    pos.add("nrid", 1).add("ntpid", 1);
  }
  if (kind != "intfwd") {
    desc.add_options()("lpk,l", po::value(&f.lpk)->value_name("PK"), "local public key")(
      "lpt,m", po::value(&f.lport)->value_name("PORT"), "local port")(
      "rpk,p", po::value(&f.rpk)->value_name("PK"), "remote public key")(
      "rpt,q", po::value(&f.rport)->value_name("PORT"), "remote port");
    pos.add("lpk", 1).add("lpt", 1).add("rpk", 1).add("rpt", 1);
  }
}

int route_add(const std::string& kind, const std::string& argv0, const std::vector<std::string>& args) {
  visor_flags c;
  rule_flags f;
  std::string usage = kind == "app"   ? " <rid> <lpk> <lport> <rpk> <rport> [options]"
                      : kind == "fwd" ? " <rid> <next-rid> <next-tpid> <lpk> <lport> <rpk> <rport> [options]"
                                      : " <rid> <next-rid> <next-tpid> [options]";
  std::string what = kind == "app"   ? "Add a consume (app) rule: packets of <rid> go to the local app."
                     : kind == "fwd" ? "Add a forward rule: the local app's packets leave on <next-tpid>."
                                     : "Add an intermediary forward rule: packets of <rid> go on to <next-tpid>.";
  auto desc = visor_options(argv0, usage, what, c);
  po::positional_options_description pos;
  rule_options(desc, pos, f, kind);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  auto ka = config::parse_go_duration(f.keep_alive);
  if (!ka || ka->count() < 0)
    return usage_error(argv0, "not a duration: " + f.keep_alive, desc);
  auto rid = parse_rid(f.rid);
  if (!rid)
    return usage_error(argv0, "a route ID (1..4294967295) is required", desc);
  wr::rule r;
  if (kind != "app") {
    auto nrid = parse_rid(f.next_rid);
    if (!nrid)
      return usage_error(argv0, "a next route ID (1..4294967295) is required", desc);
    auto tp = transport_id::from_string(f.next_tp);
    if (!tp)
      return usage_error(argv0, "not a transport ID: " + f.next_tp, desc);
    if (kind == "intfwd")
      r = wr::make_intermediary_rule(*ka, route_id{*rid}, route_id{*nrid}, *tp);
    else
      r.next_route = route_id{*nrid}, r.next_transport = *tp;
  }
  if (kind != "intfwd") {
    auto lpk = public_key::from_hex(f.lpk);
    auto rpk = public_key::from_hex(f.rpk);
    auto lport = parse_port(f.lport);
    auto rport = parse_port(f.rport);
    if (!lpk || !rpk || lpk->is_null() || rpk->is_null())
      return usage_error(argv0, "local and remote public keys (66 hex digits) are required", desc);
    if (!lport || !rport)
      return usage_error(argv0, "local and remote ports (0..65535) are required", desc);
    if (kind == "app") // as the sender sees it: src = remote, dst = local
      r = wr::make_consume_rule(*ka, route_id{*rid},
                                {*rpk, *lpk, port{*rport}, port{*lport}});
    else
      r = wr::make_forward_rule(*ka, route_id{*rid}, r.next_route, r.next_transport,
                                {*lpk, *rpk, port{*lport}, port{*rport}});
  }
  int rc = 0;
  json::object params;
  params["rule"] = json::parse(wr::encode_summary_json(r));
  auto v = visor_call(c, "app-visor.SaveRoutingRule", params, rc);
  if (!v)
    return rc;
  if (c.json)
    std::cout << json::serialize(*v) << '\n';
  else
    std::cout << "routing rule added: " << r.to_string() << '\n';
  return exit_ok;
}

SKYWIRE_CLI_COMMAND("cli visor route ls-rules", "list the visor's routing rules", route_ls);
SKYWIRE_CLI_COMMAND("cli visor route rule", "show one routing rule", route_rule);
SKYWIRE_CLI_COMMAND("cli visor route rm-rule", "remove routing rule(s)", route_rm);
SKYWIRE_CLI_COMMAND("cli visor route add-rule app", "add a consume (app) rule",
                    [](const std::string& a0, const std::vector<std::string>& a) {
                      return route_add("app", a0, a);
                    });
SKYWIRE_CLI_COMMAND("cli visor route add-rule fwd", "add a forward rule",
                    [](const std::string& a0, const std::vector<std::string>& a) {
                      return route_add("fwd", a0, a);
                    });
SKYWIRE_CLI_COMMAND("cli visor route add-rule intfwd", "add an intermediary forward rule",
                    [](const std::string& a0, const std::vector<std::string>& a) {
                      return route_add("intfwd", a0, a);
                    });

} // namespace

} // namespace skywire::cli
