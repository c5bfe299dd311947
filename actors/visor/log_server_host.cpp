#include "actors/visor/log_server_host.hpp"

#include <memory>

#include <boost/json.hpp>
#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/dmsg/port_table.hpp"
#include "actors/transport/log_server.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/build_info.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::visor {

namespace {

constexpr const char* component = "log_server";

using ls_client_atom = caf::atom_constant<caf::atom("ls_client")>;
using ls_retry_atom = caf::atom_constant<caf::atom("ls_retry")>;

using host_interface = system::info_provider_actor::extend<
  caf::reacts_to<ls_client_atom, api::dmsg_client_actor, uint64_t>,
  caf::reacts_to<ls_retry_atom, uint64_t>, caf::reacts_to<system::crash_atom>>;

class log_server_host : public host_interface::base {
public:
  log_server_host(caf::actor_config& acfg, dmsg::client_ref_ptr client,
                  dmsg_tools::file_server_config files)
    : host_interface::base(acfg), ref_(std::move(client)), files_(std::move(files)),
      retry_(500, 2, 10'000) {}

  const char* name() const override { return "log_server"; }

  void on_exit() override {
    if (ref_ && token_)
      ref_->unwatch(token_);
    stop_server();
  }

  behavior_type make_behavior() override {
    system::install_exception_handler(this, "log_server");
    set_down_handler([this](caf::down_msg& dm) {
      if (followed_.client && dm.source == followed_.client.address()) {
        followed_.client = nullptr;
        stop_server();
        error_ = "no dmsg client";
      } else if (server_ && dm.source == server_.address()) {
        server_ = nullptr;
        listening_ = false;
      }
    });
    if (ref_)
      token_ = dmsg::followed_client::watch(*ref_, this, ls_client_atom::value);
    return {
      [this](ls_client_atom, const api::dmsg_client_actor& c, uint64_t gen) {
        if (!followed_.adopt(this, c, gen))
          return;
        retry_.reset();
        start_server();
      },
      [this](ls_retry_atom, uint64_t gen) {
        if (gen == followed_.generation && followed_.client && !listening_)
          start_server();
      },
      [this](system::info_atom) {
        boost::json::object o;
        o["listening"] = listening_;
        o["port"] = files_.dmsg_port;
        if (!error_.empty())
          o["error"] = error_;
        return boost::json::serialize(o);
      },
      [](system::crash_atom) { system::throw_injected_fault(); },
    };
  }

private:
  void stop_server() {
    if (server_) {
      demonitor(server_);
      anon_send_exit(server_, caf::exit_reason::user_shutdown);
      server_ = nullptr;
    }
    listening_ = false;
  }

  void start_server() {
    stop_server();
    server_ = dmsg_tools::spawn_dmsghttp_file_server(system(), followed_.client, files_);
    monitor(server_);
    auto gen = followed_.generation;
    auto srv = server_;
    request(server_, std::chrono::seconds{10}, caf::ok_atom::value)
      .then(
        [this, gen, srv](caf::ok_atom) {
          if (gen != followed_.generation || srv != server_)
            return;
          listening_ = true;
          error_.clear();
          retry_.reset();
          SKYWIRE_LOG(info, component, "dmsghttp log server listening",
                      log::kv("port", files_.dmsg_port));
        },
        [this, gen, srv](caf::error& err) {
          if (gen != followed_.generation || srv != server_)
            return;
          error_ = describe(err);
          auto delay = std::chrono::milliseconds{retry_.next_ms()};
          SKYWIRE_LOG(warn, component, "dmsghttp log server: listen failed; retrying",
                      log::kv("port", files_.dmsg_port), log::kv("error", error_),
                      log::kv("retry_ms", delay.count()));
          stop_server();
          delayed_send(this, delay, ls_retry_atom::value, gen);
        });
  }

  dmsg::client_ref_ptr ref_;
  dmsg_tools::file_server_config files_;
  dmsg::backoff retry_;
  uint64_t token_ = 0;
  dmsg::followed_client followed_;
  caf::actor server_;
  bool listening_ = false;
  std::string error_;
};

} // namespace

dmsg_tools::file_server_config log_server_files(const config::visor_config& cfg) {
  auto lc = transport::make_log_server_config(cfg);
  lc.version = system::version();
  auto ls = std::make_shared<const transport::log_server>(std::move(lc));
  dmsg_tools::file_server_config f;
  f.dmsg_port = 80;
  f.root = cfg.dmsghttp_server_path;
  f.handler = [ls](const http::request& req, const public_key& remote) {
    return ls->handle(req, remote);
  };
  return f;
}

caf::actor spawn_log_server_host(caf::actor_system& sys, dmsg::client_ref_ptr client,
                                 dmsg_tools::file_server_config files) {
  return caf::actor_cast<caf::actor>(
    sys.spawn<log_server_host>(std::move(client), std::move(files)));
}

} // namespace skywire::visor
