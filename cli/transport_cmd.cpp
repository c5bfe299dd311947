// skywire cli visor tp type|ls|id|add|rm|disc|ping (reference §7.4; the
// flags of the Go CLI), each with --help, --json, --rpc ADDR and -c FILE.
// They call the visor's transport methods (the reference's names,
// app-visor.*) over the CLI socket.
#include <algorithm>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/rpc_client.hpp"
#include "cli/visor_call.hpp"
#include "runtime/config/duration.hpp"

namespace po = boost::program_options;
namespace json = boost::json;

namespace skywire::cli {

namespace {

/// The reference's order for `tp add` without a type (§3.1, §10.2: its
/// help text claims "skywire-tcp, stcpr, sudph, dmsg"; its code tries these).
const std::vector<std::string> add_order{"stcpr", "sudph", "dmsg", "stcp"};

using common = visor_flags;

po::options_description describe(const std::string& argv0, const std::string& usage,
                                 const std::string& what, common& c) {
  return visor_options(argv0, usage, what, c);
}

std::optional<json::value> call(const common& c, const std::string& method,
                                const json::object& params, int& rc,
                                std::chrono::milliseconds timeout = std::chrono::seconds(20),
                                std::string* error_out = nullptr) {
  return visor_call(c, method, params, rc, timeout, error_out);
}

std::string field(const json::value& v, const char* key) {
  return json_field(v, key);
}

std::string log_field(const json::value& v, const char* key) {
  if (!v.is_object())
    return "-";
  auto* log = v.get_object().if_contains("log");
  return log ? field(*log, key) : "-";
}

/// Transport summaries as the Go CLI lists them (type, id, remote, mode,
/// label), plus state and, with logs, bytes received and sent.
void print_summaries(const json::value& v, bool logs) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head{"type", "id", "remote", "mode", "label", "state"};
  if (logs) {
    head.push_back("recv");
    head.push_back("sent");
  }
  rows.push_back(head);
  std::vector<const json::value*> list;
  if (v.is_array())
    for (const auto& x : v.get_array())
      list.push_back(&x);
  else if (v.is_object())
    list.push_back(&v);
  // sorted by type, then remote, as the Go CLI sorts
  std::sort(list.begin(), list.end(), [](const json::value* a, const json::value* b) {
    return std::pair{field(*a, "type"), field(*a, "remote_pk")}
           < std::pair{field(*b, "type"), field(*b, "remote_pk")};
  });
  for (const auto* s : list) {
    std::vector<std::string> r{
      field(*s, "type"),      field(*s, "id"),
      field(*s, "remote_pk"), field(*s, "is_setup") == "true" ? "setup" : "regular",
      field(*s, "label"),     field(*s, "state")};
    if (logs) {
      r.push_back(log_field(*s, "recv"));
      r.push_back(log_field(*s, "sent"));
    }
    rows.push_back(std::move(r));
  }
  print_table(rows);
}

void print_entries(const json::value& v) {
  std::vector<std::vector<std::string>> rows{{"id", "type", "label", "edge_a", "edge_b"}};
  auto add = [&](const json::value& e) {
    std::string a = "-", b = "-";
    if (e.is_object())
      if (auto* edges = e.get_object().if_contains("edges");
          edges && edges->is_array() && edges->get_array().size() == 2) {
        a =
          edges->get_array()[0].is_string() ? std::string{edges->get_array()[0].get_string()} : "-";
        b =
          edges->get_array()[1].is_string() ? std::string{edges->get_array()[1].get_string()} : "-";
      }
    rows.push_back({field(e, "t_id"), field(e, "type"), field(e, "label"), a, b});
  };
  if (v.is_array())
    for (const auto& e : v.get_array())
      add(e);
  else if (!v.is_null())
    add(v);
  print_table(rows);
}

/// Splits "a,b , c" (cobra's string-slice flags; repeated flags add up).
std::vector<std::string> split_list(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& item : in) {
    std::stringstream ss{item};
    for (std::string x; std::getline(ss, x, ',');) {
      auto b = x.find_first_not_of(" \t");
      auto e = x.find_last_not_of(" \t");
      if (b != std::string::npos)
        out.push_back(x.substr(b, e - b + 1));
    }
  }
  return out;
}

bool valid_pk_text(const std::string& s) {
  return s.size() == 66 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}


// ---- tp type ---------------------------------------------------------------------------

int tp_type(const std::string& argv0, const std::vector<std::string>& args) {
  common c;
  auto desc = describe(argv0, " [options]", "Transport types used by the local visor.", c);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  int rc = 0;
  auto v = call(c, "app-visor.TransportTypes", {}, rc);
  if (!v)
    return rc;
  if (c.json) {
    std::cout << json::serialize(*v) << '\n';
  } else if (v->is_array()) {
    for (const auto& t : v->get_array())
      std::cout << (t.is_string() ? std::string{t.get_string()} : json::serialize(t)) << '\n';
  }
  return exit_ok;
}

// ---- tp ls -----------------------------------------------------------------------------

int tp_ls(const std::string& argv0, const std::vector<std::string>& args) {
  common c;
  std::vector<std::string> types, pks;
  bool logs = true;
  auto desc =
    describe(argv0, " [options]", "Available transports: the transports of the local visor.", c);
  desc.add_options()("types,t", po::value(&types)->value_name("TYPES")->composing(),
                     "show transport(s) type(s) comma-separated")(
    "pks,p", po::value(&pks)->value_name("PKS")->composing(),
    "show transport(s) for public key(s) comma-separated")(
    "logs,l", po::value(&logs)->value_name("BOOL")->default_value(true)->implicit_value(true),
    "show transport logs (bytes received and sent)");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  json::object params;
  json::array ft, fp;
  for (auto& t : split_list(types))
    ft.emplace_back(json::value(t));
  for (auto& p : split_list(pks)) {
    if (!valid_pk_text(p))
      return usage_error(argv0, "not a public key: " + p, desc);
    fp.emplace_back(json::value(p));
  }
  params["FilterTypes"] = std::move(ft);
  params["FilterPubKeys"] = std::move(fp);
  params["ShowLogs"] = logs;
  int rc = 0;
  auto v = call(c, "app-visor.Transports", params, rc);
  if (!v)
    return rc;
  if (c.json)
    std::cout << json::serialize(*v) << '\n';
  else
    print_summaries(*v, logs);
  return exit_ok;
}

// ---- tp id -----------------------------------------------------------------------------

/// A command on one transport (-i ID, or the first argument): calls
/// `method` with {"id": ID}; prints the answer as JSON with --json, else as
/// `print` does. The exit code.
int call_on_transport(const std::string& argv0, const std::vector<std::string>& args,
                      const std::string& what, const char* method,
                      const std::function<void(const json::value&)>& print) {
  common c;
  std::string id;
  auto desc = describe(argv0, " -i ID [options]", what, c);
  desc.add_options()("id,i", po::value(&id)->value_name("ID"), "transport ID");
  po::positional_options_description pos;
  pos.add("id", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (id.empty())
    return usage_error(argv0, "a transport ID is required (-i)", desc);
  int rc = 0;
  json::object params;
  params["id"] = id;
  auto v = call(c, method, params, rc);
  if (!v)
    return rc;
  if (c.json)
    std::cout << json::serialize(*v) << '\n';
  else
    print(*v);
  return exit_ok;
}

int tp_id(const std::string& argv0, const std::vector<std::string>& args) {
  return call_on_transport(argv0, args, "Transport summary by id.", "app-visor.Transport",
                           [](const json::value& v) { print_summaries(v, true); });
}

// ---- tp add ----------------------------------------------------------------------------

int tp_add(const std::string& argv0, const std::vector<std::string>& args) {
  common c;
  std::string rpk, type, timeout_text;
  auto desc = describe(argv0, " <pk> | -r <pk> [-t TYPE] [-o TIMEOUT] [options]",
                       "Add a transport.\n\nIf the transport type is unspecified, the visor "
                       "tries, in this order, the enabled ones of: stcpr, sudph, dmsg, stcp\n"
                       "(the order the reference's code uses; its help text says otherwise).",
                       c);
  desc.add_options()("rpk,r", po::value(&rpk)->value_name("PK"), "remote public key")(
    "type,t", po::value(&type)->value_name("TYPE"), "type of transport to add")(
    "timeout,o", po::value(&timeout_text)->value_name("DURATION"),
    "if specified, sets an operation timeout (\"30s\"; each type gets it when several are "
    "tried)");
  po::positional_options_description pos;
  pos.add("rpk", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (rpk.empty())
    return usage_error(argv0, "a remote public key is required (<pk> or -r)", desc);
  if (!valid_pk_text(rpk))
    return usage_error(argv0, "not a public key: " + rpk, desc);
  std::chrono::milliseconds timeout{0};
  if (!timeout_text.empty()) {
    auto d = config::parse_go_duration(timeout_text);
    if (!d || d->count() <= 0)
      return usage_error(argv0, "not a duration: " + timeout_text, desc);
    timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  // the call waits for the dial: its timeout, or the visor's (20 s), and a margin
  auto wait =
    (timeout.count() > 0 ? timeout : std::chrono::milliseconds{20'000}) + std::chrono::seconds{10};
  std::vector<std::string> order;
  int rc = 0;
  if (!type.empty()) {
    order.push_back(type);
  } else {
    auto enabled = call(c, "app-visor.TransportTypes", {}, rc);
    if (!enabled)
      return rc;
    for (const auto& t : add_order)
      if (enabled->is_array())
        for (const auto& e : enabled->get_array())
          if (e.is_string() && e.get_string() == t)
            order.push_back(t);
    if (order.empty()) {
      std::cerr << "skywire: the visor has no transport type enabled\n";
      return exit_failure;
    }
  }
  std::string failures;
  for (const auto& t : order) {
    json::object params;
    params["RemotePK"] = rpk;
    params["TpType"] = t;
    if (timeout.count() > 0)
      params["Timeout"] =
        static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count());
    std::string err;
    auto v = call(c, "app-visor.AddTransport", params, rc, wait, &err);
    if (v) {
      if (c.json)
        std::cout << json::serialize(*v) << '\n';
      else
        print_summaries(*v, false);
      return exit_ok;
    }
    if (order.size() > 1)
      std::cerr << "skywire: " << t << ": " << err << '\n';
    failures = err;
  }
  if (order.size() == 1)
    std::cerr << "skywire: " << failures << '\n';
  else
    std::cerr << "skywire: no transport to " << rpk << " could be added\n";
  return exit_failure;
}

// ---- tp rm -----------------------------------------------------------------------------

int tp_rm(const std::string& argv0, const std::vector<std::string>& args) {
  common c;
  std::string id;
  bool all = false;
  auto desc = describe(argv0, " -i ID | -a [options]", "Remove transport(s) by id.", c);
  desc.add_options()("id,i", po::value(&id)->value_name("ID"), "remove transport of given ID")(
    "all,a", po::bool_switch(&all), "remove all transports");
  po::positional_options_description pos;
  pos.add("id", 1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  if (all == !id.empty())
    return usage_error(argv0, "give either a transport ID (-i) or -a", desc);
  int rc = 0;
  json::object params;
  if (!all)
    params["id"] = id;
  auto v = call(c, all ? "app-visor.RemoveAllTransports" : "app-visor.RemoveTransport", params, rc,
                std::chrono::seconds(30));
  if (!v)
    return rc;
  if (c.json)
    std::cout << json::serialize(*v) << '\n';
  else if (all)
    std::cout << "removed " << field(*v, "removed") << " transport(s)\n";
  else
    std::cout << "OK\n";
  return exit_ok;
}

// ---- tp disc ---------------------------------------------------------------------------

int tp_disc(const std::string& argv0, const std::vector<std::string>& args) {
  common c;
  std::string id, pk;
  auto desc = describe(argv0, " -i ID | -p PK [options]",
                       "Discover remote transport(s) by ID or public key (the visor asks its "
                       "transport discovery).",
                       c);
  desc.add_options()("id,i", po::value(&id)->value_name("ID"), "obtain transport of given ID")(
    "pk,p", po::value(&pk)->value_name("PK"), "obtain transports by public key");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if (id.empty() == pk.empty())
    return usage_error(argv0, "give either a transport ID (-i) or a public key (-p)", desc);
  if (!pk.empty() && !valid_pk_text(pk))
    return usage_error(argv0, "not a public key: " + pk, desc);
  int rc = 0;
  json::object params;
  if (!id.empty())
    params["id"] = id;
  else
    params["pk"] = pk;
  auto v =
    call(c, id.empty() ? "app-visor.DiscoverTransportsByPK" : "app-visor.DiscoverTransportByID",
         params, rc);
  if (!v)
    return rc;
  if (c.json)
    std::cout << json::serialize(*v) << '\n';
  else
    print_entries(*v);
  return exit_ok;
}

// ---- tp ping (ours) ----------------------------------------------------------------------

int tp_ping(const std::string& argv0, const std::vector<std::string>& args) {
  return call_on_transport(argv0, args,
                           "Round trip over one transport: a Ping routing packet on route 0, "
                           "answered by the peer's Pong\n(our visors answer it; a Go visor drops "
                           "it).",
                           "transport.ping", [](const json::value& v) {
                             std::cout << "round trip: " << field(v, "rtt_us") << " µs\n";
                           });
}

SKYWIRE_CLI_COMMAND("cli visor tp type", "transport types used by the local visor", tp_type);
SKYWIRE_CLI_COMMAND("cli visor tp ls", "available transports", tp_ls);
SKYWIRE_CLI_COMMAND("cli visor tp id", "transport summary by id", tp_id);
SKYWIRE_CLI_COMMAND("cli visor tp add", "add a transport", tp_add);
SKYWIRE_CLI_COMMAND("cli visor tp rm", "remove transport(s) by id", tp_rm);
SKYWIRE_CLI_COMMAND("cli visor tp disc", "discover remote transport(s) by ID or public key",
                    tp_disc);
SKYWIRE_CLI_COMMAND("cli visor tp ping", "round trip over one transport (ours)", tp_ping);

} // namespace

} // namespace skywire::cli
