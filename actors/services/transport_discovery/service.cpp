#include "actors/services/transport_discovery/service.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/services/transport_discovery/errors.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/stop_and_wait.hpp"

namespace skywire::services::transport_discovery {

namespace {

constexpr const char* component = "tpd";

struct tpd_state {
  std::shared_ptr<tpd_api> api;
  static inline const char* name = "transport_discovery";
};

class tpd_actor : public caf::stateful_actor<tpd_state> {
public:
  tpd_actor(caf::actor_config& cfg, std::shared_ptr<tpd_api> api)
    : caf::stateful_actor<tpd_state>(cfg) {
    state.api = std::move(api);
  }

  caf::behavior make_behavior() override {
    auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      state.api->config().sweep_interval);
    if (interval.count() <= 0)
      interval = std::chrono::milliseconds{10'000};
    delayed_send(this, interval, tpd_sweep_atom::value);
    return {
      [this](tpd_call& call) {
        http::response r;
        try {
          r = state.api->handle(call.op, call.req);
        } catch (const std::exception& e) {
          SKYWIRE_LOG(info, component, "request failed", log::kv("path", call.req.path),
                      log::kv("error", e.what()));
          r = error_reply(500, "something unexpected happened");
        }
        call.res.send(std::move(r));
      },
      [this, interval](tpd_sweep_atom) {
        if (auto n = state.api->sweep(); n > 0)
          SKYWIRE_LOG(debug, component, "expired transports removed", log::kv("count", n));
        delayed_send(this, interval, tpd_sweep_atom::value);
      },
    };
  }
};

} // namespace

void tpd_handle::stop() {
  if (server)
    server->stop();
  if (actor && !system::stop_and_wait(actor))
    SKYWIRE_LOG(info, component, "transport discovery actor still running 5 s after stop");
  actor = nullptr;
}

http::router make_tpd_routes(caf::actor actor, size_t max_body) {
  http::router r;
  auto fwd = [actor](tpd_op op) {
    return [actor, op](http::request req, http::responder res) {
      caf::anon_send(actor, tpd_call{op, std::move(req), std::move(res)});
    };
  };
  http::route_options none{.body_limit = 0};
  http::route_options small{.body_limit = 4096};
  http::route_options body{.body_limit = max_body};
  r.post("/transports/", fwd(tpd_op::register_transports), body);
  // before /transports/{key}: the first route that matches wins
  r.del("/transports/deregister", fwd(tpd_op::deregister), body);
  r.get("/transports/{key}", fwd(tpd_op::get_transport), none);
  r.del("/transports/{key}", fwd(tpd_op::delete_transport), small);
  r.get("/all-transports", fwd(tpd_op::all_transports), none);
  r.post("/statuses", fwd(tpd_op::statuses), small);
  r.get("/security/nonces/{pk}", fwd(tpd_op::nonce), none);
  r.get("/health", fwd(tpd_op::health), none);
  r.get("/metrics", fwd(tpd_op::metrics), none);
  return r;
}

expected<tpd_handle> spawn_transport_discovery(caf::actor_system& sys, io::io_runtime& io,
                                               tpd_config cfg,
                                               std::unique_ptr<transport_store> store) {
  auto api = std::make_shared<tpd_api>(cfg, std::move(store));
  tpd_handle h;
  h.actor = sys.spawn<tpd_actor>(api);
  http::server_config scfg;
  scfg.host = cfg.host;
  scfg.port = cfg.port;
  scfg.max_connections = cfg.max_connections;
  scfg.default_body_limit = 4096; // so unknown paths with a body get 404, not 413
  scfg.read_timeout = std::chrono::seconds{10};
  scfg.write_timeout = std::chrono::seconds{10};
  scfg.handler_timeout = std::chrono::seconds{10};
  scfg.error_response = [](unsigned status, std::string_view why) {
    return error_reply(status, why);
  };
  h.server = std::make_shared<http::server>(io, scfg, make_tpd_routes(h.actor, cfg.max_body));
  std::weak_ptr<http::server> weak = h.server;
  // Set before the first request can arrive; the actor reads it afterwards.
  api->set_metrics_source([weak] {
    auto s = weak.lock();
    return s ? s->metrics_text("tpd_") : std::string{};
  });
  auto port = h.server->start();
  if (!port) {
    caf::anon_send_exit(h.actor, caf::exit_reason::user_shutdown);
    return port.error();
  }
  h.port = *port;
  return h;
}

} // namespace skywire::services::transport_discovery
