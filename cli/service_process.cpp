#include "cli/service_process.hpp"

#include <sys/resource.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/stop_signal.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/server.hpp"
#include "runtime/http/client.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/actor_system.hpp"

namespace skywire::cli {

bool apply_log_level(const std::string& text) {
  auto lvl = log::parse_level(text);
  if (!lvl) {
    std::cerr << "unknown log level '" << text << "'\n";
    return false;
  }
  log::set_level(*lvl);
  return true;
}

void raise_nofile() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void service_dmsg_flags::add_to(boost::program_options::options_description& desc,
                                bool with_discovery) {
  namespace po = boost::program_options;
  desc.add_options()("sk", po::value(&sk_hex)->value_name("HEX"),
                     "secret key: also serve the HTTP API over dmsghttp with this identity "
                     "(dmsg port --dmsgPort)")(
    "dmsgPort", po::value(&port)->value_name("PORT"),
    "dmsg port of the dmsghttp API (default 80)");
  if (with_discovery)
    desc.add_options()("dmsg-disc", po::value(&discovery)->value_name("URL"),
                       "dmsg discovery of the dmsghttp side (default "
                       "http://dmsgd.skywire.skycoin.com)");
}

std::optional<services::dmsg_front_config> service_dmsg_flags::config(const std::string& argv0,
                                                                      bool& ok) const {
  ok = true;
  if (sk_hex.empty())
    return std::nullopt;
  auto fail = [&](const std::string& why) -> std::optional<services::dmsg_front_config> {
    std::cerr << argv0 << ": " << why << '\n';
    ok = false;
    return std::nullopt;
  };
  auto sk = secret_key::from_hex(sk_hex);
  auto pk = sk ? crypto::derive_public_key(*sk) : expected<public_key>{sk.error()};
  if (!pk)
    return fail("--sk: not a valid secret key (64 hex digits)");
  if (port == 0)
    return fail("--dmsgPort must be > 0");
  auto u = http::parse_url(discovery);
  if (!u || u->scheme != "http")
    return fail("--dmsg-disc " + discovery + ": expected an http:// URL");
  services::dmsg_front_config c;
  c.pk = *pk;
  c.sk = *sk;
  c.discovery_url = discovery;
  c.port = port;
  return c;
}

std::optional<services::dmsg_front> start_dmsg_front(const std::string& argv0, const char* component,
                                                     caf::actor_system& sys, io::io_runtime& io,
                                                     std::shared_ptr<http::server> server,
                                                     const services::dmsg_front_config& cfg) {
  auto f = services::serve_over_dmsg(sys, io, std::move(server), cfg);
  if (!f) {
    std::cerr << argv0 << ": cannot serve over dmsg: " << describe(f.error()) << '\n';
    return std::nullopt;
  }
  SKYWIRE_LOG(info, component, "serving the HTTP API over dmsghttp",
              log::kv("dmsg_address", cfg.pk.hex() + ":" + std::to_string(cfg.port)),
              log::kv("dmsg_discovery", cfg.discovery_url));
  return std::move(*f);
}

std::optional<service_start> read_service_start(const std::string& argv0, const std::string& loglvl,
                                                const std::string& addr,
                                                const service_dmsg_flags& dmsg_flags) {
  if (!apply_log_level(loglvl))
    return std::nullopt;
  bool ok = true;
  service_start out;
  out.dmsg = dmsg_flags.config(argv0, ok);
  if (!ok)
    return std::nullopt;
  auto listen = http::parse_listen_address(addr);
  if (!listen) {
    std::cerr << argv0 << ": " << describe(listen.error()) << '\n';
    return std::nullopt;
  }
  out.host = listen->host.empty() ? "0.0.0.0" : listen->host;
  out.port = listen->port;
  return out;
}

std::string dmsg_address(const std::optional<services::dmsg_front_config>& dmsg) {
  return dmsg ? dmsg->pk.hex() + ":" + std::to_string(dmsg->port) : std::string{};
}

service_command::service_command(std::string argv0, const std::string& usage, std::string addr,
                                 const std::string& addr_help)
  : desc{"usage: " + argv0 + usage}, argv0_(std::move(argv0)), addr_(std::move(addr)) {
  namespace po = boost::program_options;
  auto addr_text = addr_help + " (default " + addr_ + ")";
  desc.add_options()("help,h", "show this help")(
    "addr,a", po::value(&addr_)->value_name("ADDR"), addr_text.c_str())(
    "loglvl,l", po::value(&loglvl_)->value_name("LEVEL"),
    "log level: trace, debug, info, warn, error, fatal (default info)");
}

std::optional<int> service_command::parse(const std::vector<std::string>& args) {
  dmsg_.add_to(desc, true);
  boost::program_options::variables_map vm;
  if (int rc = parse_options(argv0_, args, desc, vm); rc >= 0)
    return rc;
  start_ = read_service_start(argv0_, loglvl_, addr_, dmsg_);
  if (!start_)
    return exit_usage;
  return std::nullopt;
}

int service_command::usage_error(const std::string& why) const {
  std::cerr << argv0_ << ": " << why << '\n';
  return exit_usage;
}

service_runtime::prepare::prepare() {
  raise_nofile();
  block_stop_signals();
}

namespace {

caf::actor_system_config& configured(caf::actor_system_config& cfg) {
  system::configure(cfg);
  return cfg;
}

} // namespace

service_runtime::service_runtime() : sys{configured(caf_cfg_)} {}

int serve_until_stopped(const std::string& argv0, const char* component, const char* what,
                        service_runtime& rt, std::shared_ptr<http::server> server,
                        const std::function<void()>& stop,
                        const std::optional<services::dmsg_front_config>& dmsg) {
  std::optional<services::dmsg_front> front;
  if (dmsg) {
    front = start_dmsg_front(argv0, component, rt.sys, rt.io, std::move(server), *dmsg);
    if (!front) {
      stop();
      rt.io.stop();
      return exit_failure;
    }
  }
  wait_for_stop();
  if (front)
    front->stop();
  stop();
  rt.io.stop();
  SKYWIRE_LOG(info, component, std::string{what} + " stopped");
  return exit_ok;
}

int service_start_failed(const std::string& argv0, const caf::error& why) {
  std::cerr << argv0 << ": " << describe(why) << '\n';
  return exit_failure;
}

} // namespace skywire::cli
