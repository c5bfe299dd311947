// skywire cli visor pk|info|actors|halt [--json] [--rpc ADDR] [-c FILE]
#include <iomanip>
#include <iostream>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/rpc_client.hpp"

namespace po = boost::program_options;
namespace json = boost::json;

namespace skywire::cli {

namespace {

struct visor_args {
  bool json = false;
  std::string rpc;
  std::string config;
};

// Parses the common flags; returns -1 to go on, or an exit code.
int parse(const std::string& argv0, const std::vector<std::string>& args, visor_args& out,
          const char* what) {
  po::options_description desc{std::string{"usage: "} + argv0 + " [options]\n" + what
                               + "\n\noptions"};
  desc.add_options()("help,h", "show this help")("json", po::bool_switch(&out.json),
                                                  "print JSON instead of a table")(
    "rpc", po::value(&out.rpc)->value_name("ADDR"),
    "visor CLI socket: unix:///path, ./path or localhost:PORT (default: cli_addr of the "
    "config, else localhost:3435)")("config,c", po::value(&out.config)->value_name("FILE"),
                                    "read cli_addr from this config file");
  po::variables_map vm;
  return parse_options(argv0, args, desc, vm);
}

// Calls a method; prints errors; returns the result or nullopt (rc set).
std::optional<json::value> call(const visor_args& a, const std::string& method, int& rc) {
  std::string err;
  auto ep = resolve_rpc(a.rpc, a.config, err);
  if (!ep) {
    std::cerr << "skywire: " << err << '\n';
    rc = exit_failure;
    return std::nullopt;
  }
  auto r = rpc_call(*ep, method);
  if (!r.ok) {
    std::cerr << "skywire: " << r.message << '\n';
    rc = exit_failure;
    return std::nullopt;
  }
  rc = exit_ok;
  return std::move(r.result);
}

std::string text_of(const json::value& v) {
  if (v.is_string())
    return std::string{v.get_string()};
  if (v.is_null())
    return "-";
  return json::serialize(v);
}

int run_simple(const std::string& argv0, const std::vector<std::string>& args,
               const std::string& method, const char* what,
               void (*human)(const json::value&)) {
  visor_args a;
  if (int rc = parse(argv0, args, a, what); rc >= 0)
    return rc;
  int rc = 0;
  auto v = call(a, method, rc);
  if (!v)
    return rc;
  if (a.json)
    std::cout << json::serialize(*v) << '\n';
  else
    human(*v);
  return exit_ok;
}

void print_pk(const json::value& v) {
  std::cout << text_of(v) << '\n';
}

// The transport manager's part of visor.info: types, listeners, and one line
// per transport.
void print_transports(const json::object& t) {
  std::string types;
  if (auto* ty = t.if_contains("types"); ty && ty->is_array())
    for (const auto& x : ty->get_array())
      types += (types.empty() ? "" : ", ") + text_of(x);
  std::cout << "types " << (types.empty() ? "none" : types);
  if (auto* ls = t.if_contains("listeners"); ls && ls->is_array())
    for (const auto& l : ls->get_array())
      if (l.is_object()) {
        auto* a = l.get_object().if_contains("listening");
        auto* ty = l.get_object().if_contains("type");
        if (a && ty && a->is_string())
          std::cout << "; " << text_of(*ty) << " on " << text_of(*a);
        // sudph: the NAT type, and why the type is not offered
        if (auto* nat = l.get_object().if_contains("nat"); nat && nat->is_object())
          if (auto* nt = nat->get_object().if_contains("type"))
            std::cout << " (NAT: " << text_of(*nt) << ")";
        if (auto* why = l.get_object().if_contains("unavailable"); why && ty)
          std::cout << "; " << text_of(*ty) << " not offered: " << text_of(*why);
      }
  const json::array* list = nullptr;
  if (auto* x = t.if_contains("transports"); x && x->is_array())
    list = &x->get_array();
  std::cout << "; " << (list ? list->size() : 0) << " transport(s)";
  if (list)
    for (const auto& s : *list)
      if (s.is_object()) {
        auto f = [&](const char* k) {
          auto* x = s.get_object().if_contains(k);
          return x ? text_of(*x) : std::string{"-"};
        };
        std::cout << "\n"
                  << std::string(19, ' ') << f("type") << ' ' << f("id") << ' ' << f("remote_pk")
                  << ' ' << f("state");
      }
}

void print_info(const json::value& v) {
  if (!v.is_object()) {
    std::cout << text_of(v) << '\n';
    return;
  }
  for (const auto& kv : v.get_object()) {
    std::string key{kv.key()};
    std::cout << std::left << std::setw(18) << (key + ":") << ' ';
    if (kv.key() == "uptime_seconds" && kv.value().is_number()) {
      auto secs = static_cast<long long>(kv.value().to_number<double>());
      std::cout << secs / 3600 << "h" << (secs / 60) % 60 << "m" << secs % 60 << "s";
    } else if (kv.key() == "dmsg_sessions" && kv.value().is_null()) {
      std::cout << "(no dmsg client)";
    } else if (kv.key() == "transports" && kv.value().is_null()) {
      std::cout << "(no transport manager)";
    } else if (kv.key() == "transports" && kv.value().is_object()) {
      print_transports(kv.value().get_object());
    } else {
      std::cout << text_of(kv.value());
    }
    std::cout << '\n';
  }
}

void print_actors(const json::value& v) {
  if (!v.is_object()) {
    std::cout << text_of(v) << '\n';
    return;
  }
  const auto& root = v.get_object();
  // pads by characters, not bytes ("└─" is multi-byte UTF-8)
  auto pad = [](const std::string& s, size_t width) {
    size_t chars = 0;
    for (unsigned char c : s)
      chars += (c & 0xC0) != 0x80;
    return s + std::string(chars < width ? width - chars : 1, ' ');
  };
  auto row = [pad](const std::string& name, const std::string& state, const std::string& restarts,
                   const std::string& last) {
    std::cout << pad(name, 24) << pad(state, 12) << pad(restarts, 10) << last << '\n';
  };
  row("ACTOR", "STATE", "RESTARTS", "LAST EXIT");
  auto field = [](const json::object& o, const char* k) {
    auto* x = o.if_contains(k);
    return x ? text_of(*x) : std::string{"-"};
  };
  row(field(root, "name"), field(root, "state"), field(root, "restarts"), "");
  if (auto* ch = root.if_contains("children"); ch && ch->is_array())
    for (const auto& c : ch->get_array())
      if (c.is_object()) {
        auto last = field(c.get_object(), "last_exit");
        row("└─ " + field(c.get_object(), "name"), field(c.get_object(), "state"),
            field(c.get_object(), "restarts"), last.empty() ? "" : last);
      }
}

void print_ok(const json::value& v) {
  std::cout << text_of(v) << '\n';
}

SKYWIRE_CLI_COMMAND("cli visor pk", "print the running visor's public key",
                    [](const std::string& a0, const std::vector<std::string>& args) {
                      return run_simple(a0, args, "visor.pk",
                                        "Prints the public key of the running visor.", print_pk);
                    });
SKYWIRE_CLI_COMMAND("cli visor info", "summary of the running visor",
                    [](const std::string& a0, const std::vector<std::string>& args) {
                      return run_simple(a0, args, "visor.info",
                                        "Prints the running visor's key, version, uptime, "
                                        "config, dmsg sessions and transports.",
                                        print_info);
                    });
SKYWIRE_CLI_COMMAND("cli visor actors", "the visor's supervision tree",
                    [](const std::string& a0, const std::vector<std::string>& args) {
                      return run_simple(a0, args, "visor.actors",
                                        "Prints every actor of the visor with its state "
                                        "and restart count.",
                                        print_actors);
                    });
SKYWIRE_CLI_COMMAND("cli visor halt", "stop the running visor",
                    [](const std::string& a0, const std::vector<std::string>& args) {
                      return run_simple(a0, args, "visor.halt", "Stops the running visor.",
                                        print_ok);
                    });

} // namespace

} // namespace skywire::cli
