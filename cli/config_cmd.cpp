// skywire cli config gen | gen-keys | check | keys
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "runtime/config/errors.hpp"
#include "runtime/config/file_update.hpp"
#include "runtime/config/registry.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/log/logger.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

namespace {

// Parses flags; returns -1 to go on, else an exit code (cli/options.hpp).
int parse(const std::string& argv0, const std::vector<std::string>& args,
          const po::options_description& desc, po::variables_map& vm,
          const po::positional_options_description* pos = nullptr) {
  return parse_options(argv0, args, desc, vm, pos);
}

std::optional<std::vector<public_key>> parse_pks(const std::string& text, std::string& err) {
  std::vector<public_key> out;
  std::stringstream ss{text};
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty())
      continue;
    auto pk = public_key::from_hex(item);
    if (!pk || !crypto::is_valid(*pk)) {
      err = "not a valid public key: " + item;
      return std::nullopt;
    }
    out.push_back(*pk);
  }
  return out;
}

int gen(const std::string& argv0, const std::vector<std::string>& args) {
  std::string out = "skywire-config.json", sk_hex, hvpks, local_ports, local_path = "./local",
              cli_addr, loglvl = "info", routesetup, tpsetup, chat_addr, proxy_addr,
              proxy_server, stcp_addr;
  uint16_t proxy_min_hops = 0;
  bool to_stdout = false, regen = false, ishv = false, retainhv = false, local = false,
       force = false, is_public = false, no_autoconn = false, go_compatible = false,
       dmsghttp = false, testenv = false;
  std::string dmsgconf = "dmsghttp-config.json";
  uint64_t minsess = 2;
  uint16_t stcpr = 0, sudph = 0;
  po::options_description desc{
    "usage: " + argv0 + " [options]\n"
    "Writes a visor config with the reference's keys and defaults.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "out,o", po::value(&out)->value_name("FILE"), "output file (default skywire-config.json)")(
    "stdout,n", po::bool_switch(&to_stdout), "print the config instead of writing a file")(
    "regen,r", po::bool_switch(&regen), "regenerate, keeping the keys of the existing file")(
    "force,f", po::bool_switch(&force), "overwrite an existing file with new keys")(
    "ishv,i", po::bool_switch(&ishv), "add the local hypervisor block")(
    "retainhv,x", po::bool_switch(&retainhv), "keep the hypervisors of the existing file")(
    "hvpks,j", po::value(&hvpks)->value_name("PKS"), "remote hypervisor keys, comma-separated")(
    "sk,s", po::value(&sk_hex)->value_name("SK"), "use this secret key (64 hex digits)")(
    "local", po::bool_switch(&local),
    "point every service URL at a local deployment on 127.0.0.1 (no production keys)")(
    "local-ports", po::value(&local_ports)->value_name("LIST"),
    "with --local: ports, e.g. dmsgd=9090,tpd=9091,rf=9092,ar=9093,ut=9096,sd=9098")(
    "local-path", po::value(&local_path)->value_name("DIR"),
    "folder for runtime files (default ./local)")(
    "cli-addr", po::value(&cli_addr)->value_name("ADDR"),
    "CLI socket (default unix://<local-path>/cli.sock)")(
    "go-compatible", po::bool_switch(&go_compatible),
    "a file the Go visor runs too: cli_addr localhost:3435 (TCP) unless --cli-addr "
    "names another loopback host:port")(
    "loglvl", po::value(&loglvl)->value_name("LEVEL"), "log_level (default info)")(
    "minsess", po::value(&minsess)->value_name("N"), "dmsg.sessions_count (default 2)")(
    "stcp", po::value(&stcp_addr)->value_name("ADDR"),
    "skywire-tcp.listening_address (default :7777; host:0 lets the kernel pick the port, for "
    "several visors on one host)")(
    "stcpr", po::value(&stcpr)->value_name("PORT"), "transport.stcpr_port")(
    "sudph", po::value(&sudph)->value_name("PORT"), "transport.sudph_port")(
    "routesetup", po::value(&routesetup)->value_name("PKS"), "route setup node keys")(
    "tpsetup", po::value(&tpsetup)->value_name("PKS"), "transport setup node keys")(
    "public,z", po::bool_switch(&is_public), "advertise as a public visor (is_public)")(
    "autoconn,y", po::bool_switch(&no_autoconn), "disable public autoconnect")(
    "dmsghttp,d", po::bool_switch(&dmsghttp),
    "dmsghttp mode: the services as dmsg:// URLs and dmsg.servers pre-seeded, from the "
    "dmsghttp config file (-D); the visor then reaches every service over dmsg")(
    "dmsgconf,D", po::value(&dmsgconf)->value_name("FILE"),
    "the dmsghttp config (the reference's dmsghttp-config.json shape; default "
    "./dmsghttp-config.json)")(
    "testenv,t", po::bool_switch(&testenv), "with -d: the file's \"test\" section, not \"prod\"")(
    "chat-addr", po::value(&chat_addr)->value_name("ADDR"),
    "skychat's web address (default :8001)")(
    "proxy-addr", po::value(&proxy_addr)->value_name("ADDR"),
    "skysocks-client's SOCKS5 listener (default :1080)")(
    "proxy-server", po::value(&proxy_server)->value_name("PK"),
    "skysocks-client's server visor; the client then starts with the visor")(
    "proxy-min-hops", po::value(&proxy_min_hops)->value_name("N"),
    "skysocks-client's route: at least N hops");
  po::variables_map vm;
  if (int rc = parse(argv0, args, desc, vm); rc >= 0)
    return rc;

  config::gen_options o;
  // the reference's config version, not ours: the Go visor refuses another
  // major version than its own
  o.version = config::reference_config_version;
  o.hypervisor = ishv;
  o.local_path = local_path;
  o.cli_addr = cli_addr;
  if (go_compatible)
    if (auto e = config::make_go_compatible(o)) {
      std::cerr << argv0 << ": --go-compatible: " << config::message(e) << '\n';
      return exit_usage;
    }
  o.log_level = loglvl;
  o.sessions_count = minsess;
  if (vm.count("stcpr"))
    o.stcpr_port = stcpr;
  if (vm.count("sudph"))
    o.sudph_port = sudph;
  if (!stcp_addr.empty()) {
    if (!config::is_host_port(stcp_addr)) {
      std::cerr << argv0 << ": --stcp: expected host:port (e.g. \":7777\"), got '" << stcp_addr
                << "'\n";
      return exit_usage;
    }
    o.stcp_address = stcp_addr;
  }
  o.is_public = is_public;
  o.public_autoconnect = !no_autoconn;
  if (!log::parse_level(loglvl) && loglvl != "") {
    std::cerr << argv0 << ": unknown log level '" << loglvl << "'\n";
    return exit_usage;
  }
  std::string err;
  if (local) {
    o.local = config::local_services{};
    if (!local_ports.empty())
      if (auto e = config::parse_local_ports(local_ports, *o.local)) {
        std::cerr << argv0 << ": --local-ports: " << config::message(e) << '\n';
        return exit_usage;
      }
  } else if (!local_ports.empty()) {
    std::cerr << argv0 << ": --local-ports needs --local\n";
    return exit_usage;
  }
  if (dmsghttp) {
    std::ifstream in{dmsgconf, std::ios::binary};
    if (!in) {
      std::cerr << argv0 << ": -d: cannot read " << dmsgconf
                << " (the dmsghttp config: services as dmsg:// URLs and the dmsg servers; "
                   "give it with -D)\n";
      return exit_failure;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto d = config::parse_dmsghttp_config(text, testenv);
    if (!d) {
      std::cerr << argv0 << ": " << dmsgconf << ": " << config::message(d.error()) << '\n';
      return exit_failure;
    }
    o.dmsghttp = std::move(*d);
  } else if (testenv || vm.count("dmsgconf")) {
    std::cerr << argv0 << ": -D and -t need -d\n";
    return exit_usage;
  }
  for (auto [text, target] : {std::pair{&routesetup, &o.route_setup_nodes},
                              std::pair{&tpsetup, &o.transport_setup}})
    if (!text->empty()) {
      auto pks = parse_pks(*text, err);
      if (!pks) {
        std::cerr << argv0 << ": " << err << '\n';
        return exit_usage;
      }
      *target = std::move(*pks);
    }
  o.chat_addr = chat_addr;
  o.proxy_addr = proxy_addr;
  o.proxy_min_hops = proxy_min_hops;
  if (!proxy_server.empty()) {
    auto pks = parse_pks(proxy_server, err);
    if (!pks || pks->size() != 1) {
      std::cerr << argv0 << ": --proxy-server: " << (pks ? "one key" : err) << '\n';
      return exit_usage;
    }
    o.proxy_server = pks->front();
  }
  if (!hvpks.empty()) {
    auto pks = parse_pks(hvpks, err);
    if (!pks) {
      std::cerr << argv0 << ": --hvpks: " << err << '\n';
      return exit_usage;
    }
    o.hypervisors = std::move(*pks);
  }

  std::error_code fec;
  bool exists = !to_stdout && std::filesystem::exists(out, fec);
  if ((regen || retainhv) && !to_stdout && !exists) {
    // nothing to keep: a fresh file
    regen = retainhv = false;
  }
  if ((regen || retainhv) && to_stdout)
    exists = std::filesystem::exists(out, fec);
  if (regen || retainhv) {
    auto old = config::load_file(out);
    if (!old) {
      std::cerr << argv0 << ": cannot regenerate from " << out << ": "
                << config::message(old.error()) << '\n';
      return exit_failure;
    }
    if (regen && sk_hex.empty())
      o.sk = old->sk;
    if (retainhv)
      for (const auto& pk : old->hypervisors)
        if (std::find(o.hypervisors.begin(), o.hypervisors.end(), pk) == o.hypervisors.end())
          o.hypervisors.push_back(pk);
  } else if (exists && !force) {
    std::cerr << argv0 << ": " << out
              << " exists; use -r to regenerate it with its keys or -f to replace it\n";
    return exit_failure;
  }
  if (!sk_hex.empty()) {
    auto sk = secret_key::from_hex(sk_hex);
    if (!sk || !crypto::derive_public_key(*sk)) {
      std::cerr << argv0 << ": --sk: not a valid secret key (64 hex digits)\n";
      return exit_usage;
    }
    o.sk = *sk;
  }
  if (!o.sk)
    o.sk = crypto::generate_keypair().sk;
  // our own key among the hypervisors: host the hypervisor locally instead
  if (auto pk = crypto::derive_public_key(*o.sk)) {
    auto it = std::find(o.hypervisors.begin(), o.hypervisors.end(), *pk);
    if (it != o.hypervisors.end()) {
      o.hypervisors.erase(it);
      o.hypervisor = true;
    }
  }
  auto generated = config::generate(o);
  if (!generated) {
    std::cerr << argv0 << ": " << config::message(generated.error()) << '\n';
    return exit_failure;
  }
  auto text = config::to_pretty_json(*generated) + "\n";
  if (to_stdout) {
    std::cout << text;
    return exit_ok;
  }
  // mode 0600 (the file holds the secret key), atomically
  if (auto werr = config::write_file_atomically(out, text, 0600, false)) {
    std::cerr << argv0 << ": cannot write " << config::message(werr) << '\n';
    return exit_failure;
  }
  std::cerr << "wrote " << out << " (pk " << (*generated)["pk"].as_string().c_str() << ")\n";
  return exit_ok;
}

int gen_keys(const std::string& argv0, const std::vector<std::string>& args) {
  po::options_description desc{"usage: " + argv0
                               + "\nPrints a new public key, then its secret key.\n\noptions"};
  desc.add_options()("help,h", "show this help");
  po::variables_map vm;
  if (int rc = parse(argv0, args, desc, vm); rc >= 0)
    return rc;
  auto kp = crypto::generate_keypair();
  std::cout << kp.pk.hex() << '\n' << kp.sk.hex() << '\n';
  return exit_ok;
}

int check(const std::string& argv0, const std::vector<std::string>& args) {
  std::string path = "skywire-config.json";
  po::options_description desc{"usage: " + argv0
                               + " [FILE]\nValidates a config file; names the first bad key."
                                 "\n\noptions"};
  desc.add_options()("help,h", "show this help")("config,c", po::value(&path)->value_name("FILE"),
                                                  "config file (default skywire-config.json)");
  po::positional_options_description pos;
  pos.add("config", 1);
  po::variables_map vm;
  if (int rc = parse(argv0, args, desc, vm, &pos); rc >= 0)
    return rc;
  auto cfg = config::load_file(path);
  if (!cfg) {
    std::cerr << path << ": " << config::message(cfg.error()) << '\n';
    return exit_failure;
  }
  std::cout << path << ": ok (pk " << cfg->pk.hex() << ")\n";
  for (const auto& k : cfg->unknown_keys)
    std::cout << "note: unknown key '" << k << "' is ignored\n";
  return exit_ok;
}

int keys_doc(const std::string& argv0, const std::vector<std::string>& args) {
  po::options_description desc{"usage: " + argv0
                               + "\nPrints every config key as a markdown table.\n\noptions"};
  desc.add_options()("help,h", "show this help");
  po::variables_map vm;
  if (int rc = parse(argv0, args, desc, vm); rc >= 0)
    return rc;
  std::cout << config::options_markdown();
  return exit_ok;
}

SKYWIRE_CLI_COMMAND("cli config gen", "write a visor config file", gen);
SKYWIRE_CLI_COMMAND("cli config gen-keys", "print a new key pair (pk, then sk)", gen_keys);
SKYWIRE_CLI_COMMAND("cli config check", "validate a config file", check);
SKYWIRE_CLI_COMMAND("cli config keys", "every config key as a markdown table", keys_doc);

} // namespace

} // namespace skywire::cli
