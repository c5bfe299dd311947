// skywire visor -c FILE [-s LEVEL] [--log-json] — runs a visor in the
// foreground until SIGINT/SIGTERM (or `skywire cli visor halt`).
//
// Exit status: 0 after a clean stop; 1 when the config is refused, the visor
// fails (a child exceeded its restart budget) or the shutdown had to be forced
// after shutdown_timeout; 2 on bad flags.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <iostream>
#include <memory>

#include <boost/program_options.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/visor/visor.hpp"
#include "cli/command.hpp"
#include "runtime/config/duration.hpp"
#include "runtime/config/errors.hpp"
#include "runtime/config/registry.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/actor_system.hpp"
#include "runtime/system/build_info.hpp"
#include "runtime/system/supervision.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

namespace {

constexpr const char* component = "visor";

int run_visor(const std::string& argv0, const std::vector<std::string>& args) {
  std::string config_path = "skywire-config.json";
  std::string loglvl;
  bool log_json = false;
  bool fault_injection = false;
  po::options_description desc{"usage: " + argv0 + " [-c FILE] [-s LEVEL]\n"
                               "Runs a visor in the foreground until SIGINT/SIGTERM.\n\noptions"};
  desc.add_options()("help,h", "show this help")(
    "config,c", po::value(&config_path)->value_name("FILE"),
    "config file (default skywire-config.json)")(
    "loglvl,s", po::value(&loglvl)->value_name("LEVEL"),
    "log level override: trace, debug, info, warn, error, fatal")(
    "log-json", po::bool_switch(&log_json), "write logs as JSON lines instead of logfmt");
  po::options_description hidden;
  std::string stcpr_rebind;
  hidden.add_options()("enable-fault-injection", po::bool_switch(&fault_injection),
                       "test only: enables the debug.crash RPC")(
    "stcpr-rebind", po::value(&stcpr_rebind)->value_name("DUR"),
    "test only: re-bind stcpr at the address resolver every DUR (Go duration) instead of 5m");
  po::options_description all;
  all.add(desc).add(hidden);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << argv0 << ": " << e.what() << "\n\n" << desc << '\n';
    return exit_usage;
  }
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return exit_ok;
  }
  if (log_json)
    log::set_format(log::format::json);

  auto loaded = config::load_file(config_path);
  if (!loaded) {
    std::cerr << "skywire visor: " << config_path << ": " << config::message(loaded.error())
              << '\n';
    return exit_failure;
  }
  auto cfg = std::make_shared<config::visor_config>(std::move(*loaded));
  std::chrono::milliseconds rebind{0};
  if (!stcpr_rebind.empty()) {
    auto d = config::parse_go_duration(stcpr_rebind);
    if (!d || d->count() <= 0) {
      std::cerr << "skywire visor: --stcpr-rebind: not a Go duration > 0: " << stcpr_rebind
                << '\n';
      return exit_usage;
    }
    rebind = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  {
    std::error_code aec;
    auto abs = std::filesystem::absolute(config_path, aec);
    if (!aec)
      cfg->source_path = abs.lexically_normal().string();
  }
  auto lvl = log::parse_level(loglvl.empty() ? cfg->log_level : loglvl);
  if (!lvl) {
    std::cerr << "skywire visor: unknown log level '" << loglvl << "'\n";
    return exit_usage;
  }
  log::set_level(*lvl);
  for (const auto& k : cfg->unknown_keys)
    SKYWIRE_LOG(debug, component, "ignoring unknown config key", log::kv("key", k));

  std::error_code ec;
  std::filesystem::create_directories(cfg->local_path, ec);
  if (ec) {
    std::cerr << "skywire visor: cannot create local_path " << cfg->local_path << ": "
              << ec.message() << '\n';
    return exit_failure;
  }

  // Signals are taken synchronously by this thread only.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // and SIGUSR1, which only this process sends to this thread: the visor ended
  sigset_t waits = sigs;
  sigaddset(&waits, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &waits, nullptr);

  auto shutdown_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
    cfg->shutdown_timeout);
  if (shutdown_timeout.count() <= 0)
    shutdown_timeout = std::chrono::seconds(10);

  int rc = exit_ok;
  {
    auto io = std::make_shared<io::io_runtime>(1);
    caf::actor_system_config caf_cfg;
    system::configure(caf_cfg);
    caf::actor_system sys{caf_cfg};
    visor::visor_options opts;
    opts.cfg = cfg;
    opts.io = io;
    opts.fault_injection = fault_injection;
    opts.stcpr_rebind = rebind;
    auto started = std::chrono::steady_clock::now();
    auto v = visor::spawn_visor(sys, opts);
    SKYWIRE_LOG(info, component, "visor started", log::kv("pk", cfg->pk),
                log::kv("version", system::version()), log::kv("cli_addr", cfg->cli_addr),
                log::kv("config", config_path));
    if (fault_injection)
      SKYWIRE_LOG(warn, component, "fault injection is enabled (test only)");
    // The main thread sleeps in sigwaitinfo until a stop signal or the
    // visor's end: a watcher actor turns the visor's down message into
    // SIGUSR1 for this thread (no periodic wake-up of an idle visor). Its
    // handle is kept: an actor nobody references ends at once (unreachable).
    struct ended_state {
      std::atomic<bool> down{false};
      caf::error reason;
    };
    auto ended = std::make_shared<ended_state>();
    auto main_thread = ::pthread_self();
    auto watch = [ended, main_thread, watched = v.address()](caf::event_based_actor* w) {
      w->monitor(watched);
      w->set_down_handler([ended, main_thread](caf::scheduled_actor* a, caf::down_msg& dm) {
        ended->reason = dm.reason;
        ended->down.store(true, std::memory_order_release);
        ::pthread_kill(main_thread, SIGUSR1);
        a->quit();
      });
      return caf::behavior{[](caf::ok_atom) {}};
    };
    auto watcher = sys.spawn(watch);
    auto is_down = [&] { return ended->down.load(std::memory_order_acquire); };
    int signo = 0;
    while (!is_down()) {
      siginfo_t info{};
      int s = sigwaitinfo(&waits, &info);
      if (s == SIGINT || s == SIGTERM) {
        signo = s;
        break;
      }
    }
    if (!is_down()) {
      SKYWIRE_LOG(info, component, "visor stopping", log::kv("signal", strsignal(signo)));
      caf::anon_send_exit(v, caf::exit_reason::user_shutdown);
      auto deadline = std::chrono::steady_clock::now() + shutdown_timeout;
      int second = 0;
      while (!is_down()) {
        auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::nanoseconds{0})
          break;
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
        siginfo_t info{};
        int s = sigtimedwait(&waits, &info, &ts);
        if (s == SIGINT || s == SIGTERM) {
          second = s; // a second signal forces the exit
          break;
        }
      }
      if (!is_down()) {
        if (second != 0)
          SKYWIRE_LOG(warn, component, "a second signal; forcing exit",
                      log::kv("signal", strsignal(second)));
        else
          SKYWIRE_LOG(error, component, "shutdown timed out; forcing exit",
                      log::kv("shutdown_timeout", config::format_go_duration(cfg->shutdown_timeout)));
        std::_Exit(exit_failure);
      }
    }
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    auto down_reason = ended->reason;
    auto uptime = std::chrono::steady_clock::now() - started;
    if (system::is_abnormal(down_reason)) {
      SKYWIRE_LOG(error, component, "visor failed",
                  log::kv("reason", system::describe_exit(down_reason)));
      rc = exit_failure;
    } else {
      SKYWIRE_LOG(info, component, "visor stopped",
                  log::kv("uptime_s", std::chrono::duration<double>(uptime).count()));
    }
  }
  return rc;
}

SKYWIRE_CLI_COMMAND("visor", "run a visor from a config file", run_visor);

} // namespace

} // namespace skywire::cli
