#include "cli/dmsg_client_setup.hpp"

#include <iostream>

#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg/client.hpp"
#include "actors/dmsg/errors.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/client.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/actor_system.hpp"

namespace po = boost::program_options;

namespace skywire::cli {

void dmsg_client_flags::add_to(po::options_description& desc) {
  desc.add_options()("sk,s", po::value(&sk_hex)->value_name("HEX"),
                     "secret key (default: a fresh key pair)")(
    "dmsg-disc,D", po::value(&discovery)->value_name("URL"), "dmsg discovery URL")(
    "sess,e", po::value(&sessions)->value_name("N"), "dmsg sessions to keep (default 1)")(
    "loglvl,l", po::value(&loglvl)->value_name("LEVEL"), "log level (default warn)")(
    "ready-timeout", po::value(&ready_timeout_s)->value_name("S"),
    "seconds to wait for the first dmsg session (default 30)");
}

dmsg_client_process::~dmsg_client_process() {
  if (client_ && sys_) {
    // the client deletes its discovery entry, closes its sessions and quits
    caf::scoped_actor self{*sys_};
    self->monitor(client_);
    self->send(client_, caf::close_atom::value);
    self->receive([](caf::down_msg&) {},
                  caf::after(std::chrono::seconds(3)) >> [&] {
                    self->send_exit(client_, caf::exit_reason::user_shutdown);
                  });
  }
  client_ = nullptr;
  if (io_)
    io_->stop();
  sys_.reset();
}

int exit_code_for(start_failure why) noexcept {
  switch (why) {
    case start_failure::none: return 0;
    case start_failure::config: return 1;
    case start_failure::discovery: return 6;  // curl: could not resolve
    case start_failure::no_session: return 7; // curl: could not connect
  }
  return 1;
}

std::unique_ptr<dmsg_client_process> dmsg_client_process::start(const std::string& argv0,
                                                                const dmsg_client_flags& flags,
                                                                start_failure* why) {
  start_failure ignored;
  if (!why)
    why = &ignored;
  *why = start_failure::config;
  if (auto lvl = log::parse_level(flags.loglvl)) {
    log::set_level(*lvl);
  } else {
    std::cerr << argv0 << ": -l " << flags.loglvl
              << ": not a log level (trace, debug, info, warn, error, fatal)\n";
    return nullptr;
  }
  dmsg::client_config cc;
  if (flags.sk_hex.empty()) {
    auto kp = crypto::generate_keypair();
    cc.pk = kp.pk;
    cc.sk = kp.sk;
  } else {
    auto sk = secret_key::from_hex(flags.sk_hex);
    auto pk = sk ? crypto::derive_public_key(*sk) : expected<public_key>{sk.error()};
    if (!pk) {
      std::cerr << argv0 << ": -s: not a valid secret key\n";
      return nullptr;
    }
    cc.sk = *sk;
    cc.pk = *pk;
  }
  if (flags.sessions < 0) {
    std::cerr << argv0 << ": --sess must be >= 0\n";
    return nullptr;
  }
  if (auto u = http::parse_url(flags.discovery); !u || u->scheme != "http") {
    std::cerr << argv0 << ": -D " << flags.discovery << ": not a discovery URL ("
              << (u ? std::string{"expected http://"} : describe(u.error())) << ")\n";
    return nullptr;
  }
  if (flags.ready_timeout_s <= 0) {
    std::cerr << argv0 << ": --ready-timeout must be > 0\n";
    return nullptr;
  }
  cc.discovery_url = flags.discovery;
  cc.sessions_count = static_cast<size_t>(flags.sessions);
  std::unique_ptr<dmsg_client_process> p{new dmsg_client_process};
  p->pk_ = cc.pk;
  p->io_ = std::make_unique<io::io_runtime>(1);
  p->cfg_ = std::make_unique<caf::actor_system_config>();
  system::configure(*p->cfg_);
  p->sys_ = std::make_unique<caf::actor_system>(*p->cfg_);
  p->client_ = dmsg::spawn_dmsg_client(*p->sys_, *p->io_, cc);
  bool ready = false;
  caf::error err;
  {
    caf::scoped_actor self{*p->sys_};
    self->request(p->client_, std::chrono::seconds(flags.ready_timeout_s), api::ready_atom::value)
      .receive([&](caf::ok_atom) { ready = true; }, [&](caf::error& e) { err = std::move(e); });
    if (!ready) {
      // the deadline passed (or the client stopped): ask it what went wrong
      self->request(p->client_, std::chrono::seconds(5), api::info_atom::value)
        .receive(
          [&](api::client_info& info) {
            if (info.last_error)
              err = std::move(info.last_error);
          },
          [](caf::error&) {});
    }
  }
  if (!ready) {
    std::string what;
    if (dmsg::is(err, dmsg::client_errc::invalid_argument)) {
      *why = start_failure::config;
      what = "bad configuration";
    } else if (dmsg::is(err, dmsg::client_errc::discovery_failed)) {
      *why = start_failure::discovery;
      what = "the discovery " + flags.discovery + " is unreachable or failed";
    } else {
      *why = start_failure::no_session;
      what = "no session to a dmsg server within " + std::to_string(flags.ready_timeout_s)
             + " s (discovery " + flags.discovery + ")";
    }
    std::cerr << argv0 << ": could not start the dmsg client: " << what;
    if (err && err != caf::sec::request_timeout)
      std::cerr << ": " << describe(err);
    std::cerr << '\n';
    return nullptr;
  }
  *why = start_failure::none;
  return p;
}

} // namespace skywire::cli
