// skywire dmsg pty host | cli | whitelist | whitelist-add | whitelist-remove |
// config gen — the reference's dmsgpty-host and dmsgpty-cli.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsgpty/host.hpp"
#include "cli/command.hpp"
#include "cli/dmsg_client_setup.hpp"
#include "cli/dmsgpty_client.hpp"
#include "cli/options.hpp"
#include "cli/stop_signal.hpp"
#include "messages/wire/dmsgpty/pty_types.hpp"
#include "messages/wire/dmsgpty/request.hpp"
#include "runtime/crypto/keys.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

namespace {

namespace wp = wire::dmsgpty;

const std::string default_cli_addr = "/tmp/dmsgpty.sock";
const std::string default_disc = "http://dmsgd.skywire.skycoin.com";

expected<public_key> parse_pk(const std::string& text) {
  auto pk = public_key::from_hex(text);
  if (!pk || !crypto::is_valid(*pk))
    return make_error(wire_errc::bad_value, "not a public key: '" + text + "'");
  return *pk;
}

expected<std::vector<public_key>> parse_pks(const std::vector<std::string>& items) {
  std::vector<public_key> out;
  for (const auto& item : items) {
    std::stringstream ss{item};
    for (std::string one; std::getline(ss, one, ',');) {
      if (one.empty())
        continue;
      auto pk = parse_pk(one);
      if (!pk)
        return pk.error();
      out.push_back(*pk);
    }
  }
  return out;
}

bool check_cli_net(const std::string& argv0, const std::string& net) {
  if (net == "unix")
    return true;
  std::cerr << argv0 << ": only the 'unix' CLI network is supported (got '" << net << "')\n";
  return false;
}

// ---- host ---------------------------------------------------------------------

/// The reference host's JSON config (dmsgpty.Config).
struct host_file {
  std::string disc = default_disc;
  int sessions = 1;
  int port = wp::default_port;
  std::string cli_net = "unix";
  std::string cli_addr = default_cli_addr;
  std::string sk;
  std::vector<std::string> wl;
};

expected<host_file> load_host_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(wire_errc::bad_value, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(ss.str(), ec);
  if (ec || !v.is_object())
    return make_error(wire_errc::malformed, path + ": not a JSON object");
  host_file f;
  const auto& o = v.as_object();
  auto str = [&](const char* key, std::string& out) -> bool {
    if (auto* p = o.if_contains(key)) {
      if (!p->is_string())
        return false;
      out = p->as_string().c_str();
    }
    return true;
  };
  auto num = [&](const char* key, int& out, int lo, int hi) -> bool {
    if (auto* p = o.if_contains(key)) {
      if (!p->is_int64() || p->as_int64() < lo || p->as_int64() > hi)
        return false;
      out = static_cast<int>(p->as_int64());
    }
    return true;
  };
  if (!str("dmsgdisc", f.disc) || !num("dmsgsessions", f.sessions, 0, 1024)
      || !num("dmsgport", f.port, 1, 65535) || !str("clinet", f.cli_net)
      || !str("cliaddr", f.cli_addr) || !str("sk", f.sk))
    return make_error(wire_errc::bad_value, path + ": a field has the wrong type or range");
  if (auto* p = o.if_contains("wl"); p && !p->is_null()) {
    if (!p->is_array())
      return make_error(wire_errc::bad_value, path + ": wl is not an array");
    for (const auto& item : p->as_array()) {
      if (!item.is_string())
        return make_error(wire_errc::bad_value, path + ": wl holds a non-string");
      f.wl.emplace_back(item.as_string().c_str());
    }
  }
  return f;
}

int run_host(const std::string& argv0, const std::vector<std::string>& args) {
  std::string config_path, sk, disc, cli_net, cli_addr, loglvl = "warn";
  int sessions = -1, port = -1, max_sessions = 32, ready_timeout = 30;
  std::vector<std::string> wl;
  po::options_description desc{
    "usage: " + argv0 + " [-c config.json] [options]\n"
    "A dmsgpty host: serves a pty over dmsg to whitelisted keys and to the local\n"
    "CLI socket, until SIGINT/SIGTERM. Flags override the config file.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "config,c", po::value(&config_path)->value_name("FILE"),
    "the reference's JSON config (dmsgdisc, dmsgsessions, dmsgport, clinet, cliaddr, sk, wl); "
    "whitelist changes are written back to it")(
    "sk", po::value(&sk)->value_name("HEX"), "secret key (default: config, else a fresh key)")(
    "disc", po::value(&disc)->value_name("URL"), "dmsg discovery URL")(
    "sessions", po::value(&sessions)->value_name("N"), "dmsg sessions to keep (default 1)")(
    "port", po::value(&port)->value_name("PORT"), "dmsg port to serve on (default 22)")(
    "cli-net", po::value(&cli_net)->value_name("NET"), "CLI socket network (unix)")(
    "cli-addr", po::value(&cli_addr)->value_name("PATH"),
    "CLI socket path (default /tmp/dmsgpty.sock)")(
    "wl", po::value(&wl)->value_name("PK,PK")->multitoken(), "keys allowed to connect over dmsg")(
    "max-sessions", po::value(&max_sessions)->value_name("N"),
    "connections served at once (default 32)")(
    "loglvl,l", po::value(&loglvl)->value_name("LEVEL"), "log level (default warn)")(
    "ready-timeout", po::value(&ready_timeout)->value_name("S"),
    "seconds to wait for the first dmsg session (default 30)");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  host_file f;
  if (!config_path.empty()) {
    auto loaded = load_host_file(config_path);
    if (!loaded) {
      std::cerr << argv0 << ": " << describe(loaded.error()) << '\n';
      return exit_failure;
    }
    f = std::move(*loaded);
  }
  if (!sk.empty())
    f.sk = sk;
  if (!disc.empty())
    f.disc = disc;
  if (sessions >= 0)
    f.sessions = sessions;
  if (port >= 0)
    f.port = port;
  if (!cli_net.empty())
    f.cli_net = cli_net;
  if (!cli_addr.empty())
    f.cli_addr = cli_addr;
  f.wl.insert(f.wl.end(), wl.begin(), wl.end());
  auto whitelist = parse_pks(f.wl);
  if (!whitelist) {
    std::cerr << argv0 << ": whitelist: " << describe(whitelist.error()) << '\n';
    return exit_usage;
  }
  if (f.port < 1 || f.port > 65535 || max_sessions < 1 || !check_cli_net(argv0, f.cli_net)) {
    std::cerr << argv0 << ": need a port 1..65535 and --max-sessions >= 1\n";
    return exit_usage;
  }
  block_stop_signals();
  dmsg_client_flags flags;
  flags.sk_hex = f.sk;
  flags.discovery = f.disc;
  flags.sessions = f.sessions;
  flags.loglvl = loglvl;
  flags.ready_timeout_s = ready_timeout;
  start_failure why{};
  auto proc = dmsg_client_process::start(argv0, flags, &why);
  if (!proc)
    return exit_code_for(why);
  dmsgpty::host_config hc;
  hc.dmsg_port = static_cast<uint16_t>(f.port);
  hc.cli_address = f.cli_addr;
  hc.whitelist = *whitelist;
  hc.config_path = config_path;
  hc.max_sessions = static_cast<size_t>(max_sessions);
  auto host = dmsgpty::spawn_host(proc->system(), proc->io(), proc->client(), hc);
  bool ok = false;
  {
    caf::scoped_actor self{proc->system()};
    self->request(host, std::chrono::seconds(30), caf::ok_atom::value)
      .receive([&](caf::ok_atom) { ok = true; },
               [&](caf::error& err) { std::cerr << argv0 << ": " << describe(err) << '\n'; });
  }
  if (!ok) {
    caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
    return exit_failure;
  }
  std::cout << "dmsgpty host " << proc->pk().hex() << " on dmsg port " << f.port << ", CLI unix:"
            << f.cli_addr << std::endl;
  wait_for_stop();
  {
    caf::scoped_actor self{proc->system()};
    self->monitor(host);
    self->send_exit(host, caf::exit_reason::user_shutdown);
    self->receive([](caf::down_msg&) {});
  }
  return exit_ok;
}

// ---- cli ----------------------------------------------------------------------

expected<address> parse_remote(const std::string& text) {
  address a;
  a.prt = port{wp::default_port};
  auto colon = text.find(':');
  auto pk = parse_pk(text.substr(0, colon));
  if (!pk)
    return pk.error();
  a.pk = *pk;
  if (colon != std::string::npos) {
    auto p = text.substr(colon + 1);
    int v = 0;
    try {
      size_t used = 0;
      v = std::stoi(p, &used);
      if (used != p.size())
        v = -1;
    } catch (const std::exception&) {
      v = -1;
    }
    if (v < 1 || v > 65535)
      return make_error(wire_errc::bad_value, "bad port in '" + text + "'");
    a.prt = port{static_cast<uint16_t>(v)};
  }
  return a;
}

int run_cli(const std::string& argv0, const std::vector<std::string>& args) {
  pty_cli_options o;
  std::string cli_net = "unix", addr;
  int rows = -1, cols = -1, timeout = 40;
  o.cli_path = default_cli_addr;
  po::options_description desc{
    "usage: " + argv0 + " [--addr PK[:PORT]] [-c CMD] [-a ARG]...\n"
    "Runs a command (default /bin/bash) on a pty of the local dmsgpty host, or with\n"
    "--addr on a remote host through it. The terminal is put in raw mode when stdin\n"
    "is one; piped stdin is sent as typed, its end as the pty's EOF character (^D).\n"
    "Exits 0 when the command's output ends.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "cli-net", po::value(&cli_net)->value_name("NET"), "CLI socket network (unix)")(
    "cli-addr", po::value(&o.cli_path)->value_name("PATH"),
    "the host's CLI socket (default /tmp/dmsgpty.sock)")(
    "addr", po::value(&addr)->value_name("PK[:PORT]"), "remote dmsgpty host (port default 22)")(
    "cmd,c", po::value(&o.cmd)->value_name("CMD"), "command to run (default /bin/bash)")(
    "arg,a", po::value(&o.args)->value_name("ARG")->multitoken(), "arguments of the command")(
    "rows", po::value(&rows)->value_name("N"), "pty rows (default: the terminal's)")(
    "cols", po::value(&cols)->value_name("N"), "pty columns (default: the terminal's)")(
    "timeout", po::value(&timeout)->value_name("S"),
    "seconds to wait for the host to accept (default 40)");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if (!check_cli_net(argv0, cli_net))
    return exit_usage;
  if (!addr.empty()) {
    auto r = parse_remote(addr);
    if (!r) {
      std::cerr << argv0 << ": --addr: " << describe(r.error()) << '\n';
      return exit_usage;
    }
    o.remote = *r;
  }
  if ((rows >= 0) != (cols >= 0) || rows > 65535 || cols > 65535) {
    std::cerr << argv0 << ": give both --rows and --cols (0..65535)\n";
    return exit_usage;
  }
  if (rows >= 0)
    o.size = std::make_pair(static_cast<uint16_t>(rows), static_cast<uint16_t>(cols));
  o.connect_timeout = std::chrono::seconds(timeout);
  return run_pty_cli(argv0, o);
}

// ---- whitelist ------------------------------------------------------------------

int whitelist_cmd(const std::string& argv0, const std::vector<std::string>& args,
                  const std::string& method) {
  std::string cli_path = default_cli_addr, cli_net = "unix";
  bool json = false;
  std::vector<std::string> keys;
  bool listing = method == "Whitelist";
  po::options_description desc{
    "usage: " + argv0 + (listing ? " [--json]\nPrints the host's whitelist (one key a line)."
                                 : " PK...\nChanges the host's whitelist (saved to its config "
                                   "file when it has one).")
    + "\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "cli-net", po::value(&cli_net)->value_name("NET"), "CLI socket network (unix)")(
    "cli-addr", po::value(&cli_path)->value_name("PATH"),
    "the host's CLI socket (default /tmp/dmsgpty.sock)");
  if (listing)
    desc.add_options()("json", po::bool_switch(&json), "print a JSON array");
  po::options_description hidden;
  hidden.add_options()("pk", po::value(&keys));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("pk", -1);
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, all, vm, &pos); rc >= 0)
    return rc;
  if (!check_cli_net(argv0, cli_net))
    return exit_usage;
  auto pks = parse_pks(keys);
  if (!pks || (listing != pks->empty())) {
    std::cerr << argv0 << ": " << (pks ? "wrong number of keys" : describe(pks.error())) << "\n\n"
              << desc << '\n';
    return exit_usage;
  }
  dmsgpty_connection conn;
  if (auto err = conn.open(cli_path, std::string{wp::whitelist_uri}, std::chrono::seconds(10))) {
    std::cerr << argv0 << ": " << describe(err) << '\n';
    return exit_failure;
  }
  auto arg = listing ? wp::empty_value() : wp::pubkeys_value(*pks);
  const auto& schema = listing ? wp::empty_schema() : wp::pubkeys_schema();
  auto r = conn.call_and_wait("whitelist." + method, schema, arg, std::chrono::seconds(15));
  if (!r) {
    std::cerr << argv0 << ": " << describe(r.error()) << '\n';
    return exit_failure;
  }
  if (!listing)
    return exit_ok;
  auto got = wp::pubkeys_from_gob(r->reply);
  if (!got) {
    std::cerr << argv0 << ": " << describe(got.error()) << '\n';
    return exit_failure;
  }
  if (json) {
    boost::json::array arr;
    for (const auto& pk : *got)
      arr.emplace_back(pk.hex());
    std::cout << boost::json::serialize(arr) << '\n';
  } else {
    for (const auto& pk : *got)
      std::cout << pk.hex() << '\n';
  }
  return exit_ok;
}

// ---- config gen -------------------------------------------------------------------

int run_config_gen(const std::string& argv0, const std::vector<std::string>& args) {
  std::string out_path, disc = default_disc, cli_addr = default_cli_addr;
  bool force = false;
  int port = wp::default_port, sessions = 1;
  po::options_description desc{
    "usage: " + argv0 + " [-o FILE] [--force]\n"
    "Writes a dmsgpty host config with a fresh key pair (the reference's confgen\n"
    "fields: dmsgdisc, dmsgsessions, dmsgport, clinet, cliaddr, sk, pk, wl) to FILE\n"
    "or stdout.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "output,o", po::value(&out_path)->value_name("FILE"), "write here (default stdout)")(
    "force", po::bool_switch(&force), "overwrite an existing FILE")(
    "disc", po::value(&disc)->value_name("URL"), "dmsg discovery URL")(
    "sessions", po::value(&sessions)->value_name("N"), "dmsg sessions (default 1)")(
    "port", po::value(&port)->value_name("PORT"), "dmsg port (default 22)")(
    "cli-addr", po::value(&cli_addr)->value_name("PATH"), "CLI socket path");
  po::variables_map vm;
  if (int rc = parse_options(argv0, args, desc, vm); rc >= 0)
    return rc;
  if (port < 1 || port > 65535 || sessions < 0) {
    std::cerr << argv0 << ": need a port 1..65535 and sessions >= 0\n";
    return exit_usage;
  }
  auto kp = crypto::generate_keypair();
  // Go's json.Encoder with SetIndent("", "    "), keys in the struct's order
  std::ostringstream text;
  auto q = [](const std::string& s) { return boost::json::serialize(boost::json::value(s)); };
  text << "{\n"
       << "    \"dmsgdisc\": " << q(disc) << ",\n"
       << "    \"dmsgsessions\": " << sessions << ",\n"
       << "    \"dmsgport\": " << port << ",\n"
       << "    \"clinet\": \"unix\",\n"
       << "    \"cliaddr\": " << q(cli_addr) << ",\n"
       << "    \"sk\": \"" << kp.sk.hex() << "\",\n"
       << "    \"pk\": \"" << kp.pk.hex() << "\",\n"
       << "    \"wl\": null\n"
       << "}\n";
  if (out_path.empty()) {
    std::cout << text.str();
    return exit_ok;
  }
  if (!force && std::filesystem::exists(out_path)) {
    std::cerr << argv0 << ": config file " << out_path << " already exists (--force)\n";
    return exit_failure;
  }
  std::ofstream out{out_path, std::ios::binary | std::ios::trunc};
  out << text.str();
  if (!out) {
    std::cerr << argv0 << ": cannot write " << out_path << '\n';
    return exit_failure;
  }
  ::chmod(out_path.c_str(), 0600);
  return exit_ok;
}

} // namespace

SKYWIRE_CLI_COMMAND("dmsg pty host", "serve a pty over dmsg and a local CLI socket", run_host);
SKYWIRE_CLI_COMMAND("dmsg pty cli", "run a command on a local or remote dmsgpty host", run_cli);
SKYWIRE_CLI_COMMAND("dmsg pty whitelist", "list the dmsgpty host's whitelist",
                    [](const std::string& a, const std::vector<std::string>& v) {
                      return whitelist_cmd(a, v, "Whitelist");
                    });
SKYWIRE_CLI_COMMAND("dmsg pty whitelist-add", "add keys to the dmsgpty host's whitelist",
                    [](const std::string& a, const std::vector<std::string>& v) {
                      return whitelist_cmd(a, v, "WhitelistAdd");
                    });
SKYWIRE_CLI_COMMAND("dmsg pty whitelist-remove", "remove keys from the dmsgpty whitelist",
                    [](const std::string& a, const std::vector<std::string>& v) {
                      return whitelist_cmd(a, v, "WhitelistRemove");
                    });
SKYWIRE_CLI_COMMAND("dmsg pty config gen", "write a dmsgpty host config with a fresh key",
                    run_config_gen);

} // namespace skywire::cli
