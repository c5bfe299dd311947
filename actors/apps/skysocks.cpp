#include "actors/apps/skysocks.hpp"

#include <optional>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/apps/app_flags.hpp"
#include "actors/apps/sd_registration.hpp"
#include "actors/apps/yamux_route.hpp"
#include "actors/routing/route_group_core.hpp"
#include "messages/api/route_manager.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::apps {

namespace {

constexpr const char* component = "skysocks";
constexpr auto request_timeout = std::chrono::seconds{10};

class skysocks_actor : public caf::event_based_actor {
public:
  skysocks_actor(caf::actor_config& cfg, app_context ctx, std::string passcode)
    : caf::event_based_actor(cfg), ctx_(std::move(ctx)), passcode_(std::move(passcode)) {}

  const char* name() const override { return "skysocks"; }

  void on_exit() override {
    if (registrar_)
      registrar_->stop();
    for (auto& [tag, r] : routes_) {
      if (r.mux)
        r.core->post([m = r.mux] { m->stop(); });
      caf::anon_send(r.group, api::close_atom::value);
    }
    routes_.clear();
  }

  caf::behavior make_behavior() override {
    uint16_t port = ctx_.routing_port.value != 0 ? ctx_.routing_port.value : skysocks_port;
    set_down_handler([this](caf::down_msg& dm) { forget(dm.source, dm.reason); });
    request(ctx_.routes, request_timeout, api::rt_listen_atom::value, port, caf::actor{this})
      .then(
        [this, port](api::ok_atom) {
          SKYWIRE_LOG(info, component, "listening", log::kv("port", port),
                      log::kv("passcode", passcode_.empty() ? "no" : "yes"));
          status("Running");
          register_service(port);
        },
        [this](caf::error& err) {
          SKYWIRE_LOG(warn, component, "cannot listen", log::kv("error", describe(err)));
          if (ctx_.launcher)
            send(ctx_.launcher, api::app_error_atom::value, describe(err));
          quit(err);
        });
    return {
      [this](api::rt_accept_atom, api::route_group_actor& group, const public_key& remote,
             uint16_t) { accept(std::move(group), remote); },
      [this](api::data_atom, api::byte_buffer& bytes) {
        // bytes the group delivered before its yamux_route took over
        if (auto* r = by_addr(current_sender()))
          r->prefix.insert(r->prefix.end(), bytes.begin(), bytes.end());
      },
      [this](api::closed_atom, const caf::error& err) { forget(current_sender(), err); },
      [this](sd_reg_tick_atom, uint64_t generation) {
        if (registrar_)
          registrar_->on_tick(generation);
      },
      [this](sd_reg_done_atom, const caf::error& err) {
        if (registrar_)
          registrar_->on_done(err);
      },
      [this](yamux_ready_atom, uint64_t tag, yamux_route_ptr& m) {
        auto i = routes_.find(tag);
        if (i == routes_.end()) {
          // the group ended meanwhile
          m->core()->post([m] { m->stop(); });
          return;
        }
        i->second.mux = m;
        i->second.core->post([m, prefix = std::move(i->second.prefix)] { m->prefix(prefix); });
        i->second.prefix.clear();
      },
      [this](yamux_end_atom, uint64_t tag, const caf::error& err) {
        auto i = routes_.find(tag);
        if (i == routes_.end())
          return;
        SKYWIRE_LOG(debug, component, "session ended", log::kv("remote", i->second.remote.hex()),
                    log::kv("error", describe(err)));
        send(i->second.group, api::close_atom::value);
      },
    };
  }

private:
  struct route {
    api::route_group_actor group;
    public_key remote;
    routing::route_group_core_ptr core;
    yamux_route_ptr mux;
    std::vector<uint8_t> prefix;
  };

  void status(const std::string& s) {
    if (ctx_.launcher)
      send(ctx_.launcher, api::app_status_atom::value, s);
  }

  /// Reference §5.3: registered as "skysocks" at <pk>:<port> unless a
  /// passcode protects it; refreshed while up (sd_registration.hpp).
  void register_service(uint16_t port) {
    const auto& url = ctx_.cfg ? ctx_.cfg->launcher.service_discovery : std::string{};
    if (!passcode_.empty() || url.empty() || !ctx_.io) {
      SKYWIRE_LOG(info, component, "not registered in the service discovery",
                  log::kv("why", !passcode_.empty() ? "a passcode is set"
                                 : url.empty()      ? "no launcher.service_discovery"
                                                    : "no io runtime"));
      return;
    }
    auto sd = transport::sd_client::make(*ctx_.io, url, ctx_.local.pk, ctx_.local.sk);
    if (!sd) {
      SKYWIRE_LOG(warn, component, "not registered in the service discovery",
                  log::kv("url", url), log::kv("error", describe(sd.error())));
      return;
    }
    registrar_.emplace(this, std::move(*sd),
                       app_service_entry(ctx_.local.pk, port, "skysocks",
                                         ctx_.cfg->launcher.display_node_ip),
                       component);
    registrar_->start();
  }

  route* by_addr(const caf::strong_actor_ptr& sender) {
    auto i = tags_.find(caf::actor_cast<caf::actor_addr>(sender));
    if (i == tags_.end())
      return nullptr;
    auto j = routes_.find(i->second);
    return j == routes_.end() ? nullptr : &j->second;
  }

  void accept(api::route_group_actor group, const public_key& remote) {
    auto tag = ++next_tag_;
    monitor(group);
    tags_[group.address()] = tag;
    routes_[tag] = route{group, remote, nullptr, nullptr, {}};
    SKYWIRE_LOG(debug, component, "route accepted", log::kv("remote", remote.hex()));
    request(group, request_timeout, api::score_atom::value)
      .then(
        [this, tag](api::route_group_core_ptr& core) {
          auto i = routes_.find(tag);
          if (i == routes_.end())
            return;
          i->second.core = core;
          yamux_route::config cfg;
          cfg.m = yamux_route::mode::socks_server;
          cfg.passcode = passcode_;
          attach_yamux_route(core, std::move(cfg), caf::actor{this}, tag);
        },
        [this, tag](caf::error& err) {
          SKYWIRE_LOG(debug, component, "route lost before its session started",
                      log::kv("error", describe(err)));
          if (auto i = routes_.find(tag); i != routes_.end())
            send(i->second.group, api::close_atom::value);
        });
  }

  void forget(const caf::actor_addr& who, const caf::error& err) {
    auto t = tags_.find(who);
    if (t == tags_.end())
      return;
    auto i = routes_.find(t->second);
    tags_.erase(t);
    if (i == routes_.end())
      return;
    if (i->second.mux)
      i->second.core->post([m = i->second.mux, err] { m->carrier_closed(err); });
    routes_.erase(i);
  }

  void forget(const caf::strong_actor_ptr& who, const caf::error& err) {
    forget(caf::actor_cast<caf::actor_addr>(who), err);
  }

  app_context ctx_;
  std::string passcode_;
  std::optional<sd_registrar> registrar_;
  uint64_t next_tag_ = 0;
  std::unordered_map<uint64_t, route> routes_;
  std::unordered_map<caf::actor_addr, uint64_t> tags_;
};

} // namespace

expected<caf::actor> spawn_skysocks(const app_context& ctx) {
  if (!ctx.sys)
    return make_error(wire_errc::bad_value, "skysocks: no actor system");
  auto pass = flag_value(ctx.args, "passcode");
  if (!pass)
    return pass.error();
  return ctx.sys->spawn<skysocks_actor>(ctx, pass->value_or(""));
}

} // namespace skywire::apps
