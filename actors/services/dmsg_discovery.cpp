#include "actors/services/dmsg_discovery.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/stop_and_wait.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

namespace skywire::services {

namespace {

struct discovery_state {
  std::shared_ptr<dmsg_discovery_api> api;
  static inline const char* name = "dmsg_discovery";
};

class dmsg_discovery_actor : public caf::stateful_actor<discovery_state> {
public:
  dmsg_discovery_actor(caf::actor_config& cfg, std::shared_ptr<dmsg_discovery_api> api)
    : caf::stateful_actor<discovery_state>(cfg) {
    state.api = std::move(api);
  }

  caf::behavior make_behavior() override {
    auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      state.api->config().sweep_interval);
    if (interval.count() <= 0)
      interval = std::chrono::milliseconds{10'000};
    delayed_send(this, interval, sweep_atom::value);
    return {
      [this](discovery_call& call) {
        http::response r;
        try {
          r = state.api->handle(call.op, call.req);
        } catch (const std::exception&) {
          r = message_response(500, "something unexpected happened");
        }
        call.res.send(std::move(r));
      },
      [this, interval](sweep_atom) {
        state.api->sweep();
        delayed_send(this, interval, sweep_atom::value);
      },
    };
  }
};

} // namespace

void dmsg_discovery_handle::stop() {
  if (server)
    server->stop();
  if (actor && !system::stop_and_wait(actor))
    SKYWIRE_LOG(info, "dmsg_discovery", "discovery actor still running 5 s after stop");
  actor = nullptr;
}

http::router make_dmsg_discovery_routes(caf::actor actor, size_t max_body) {
  http::router r;
  auto fwd = [actor](discovery_op op) {
    return [actor, op](http::request req, http::responder res) {
      caf::anon_send(actor, discovery_call{op, std::move(req), std::move(res)});
    };
  };
  http::route_options small{.body_limit = 0};
  http::route_options body{.body_limit = max_body};
  r.get("/dmsg-discovery/entry/{pk}", fwd(discovery_op::get_entry), small);
  r.post("/dmsg-discovery/entry/", fwd(discovery_op::post_entry), body);
  r.post("/dmsg-discovery/entry/{pk}", fwd(discovery_op::post_entry), body);
  r.del("/dmsg-discovery/entry", fwd(discovery_op::delete_entry), body);
  r.del("/dmsg-discovery/entry/", fwd(discovery_op::delete_entry), body);
  r.get("/dmsg-discovery/entries", fwd(discovery_op::entries), small);
  r.get("/dmsg-discovery/visorEntries", fwd(discovery_op::visor_entries), small);
  r.get("/dmsg-discovery/available_servers", fwd(discovery_op::available_servers), small);
  r.get("/dmsg-discovery/all_servers", fwd(discovery_op::all_servers), small);
  r.del("/dmsg-discovery/deregister", fwd(discovery_op::deregister), body);
  r.get("/health", fwd(discovery_op::health), small);
  r.get("/metrics", fwd(discovery_op::metrics), small);
  return r;
}

expected<dmsg_discovery_handle> spawn_dmsg_discovery(caf::actor_system& sys, io::io_runtime& io,
                                                     dmsg_discovery_config cfg,
                                                     std::unique_ptr<discovery_store> store) {
  auto api = std::make_shared<dmsg_discovery_api>(cfg, std::move(store));
  dmsg_discovery_handle h;
  h.actor = sys.spawn<dmsg_discovery_actor>(api);
  http::server_config scfg;
  scfg.host = cfg.host;
  scfg.port = cfg.port;
  scfg.max_connections = cfg.max_connections;
  scfg.default_body_limit = 4096; // so unknown paths with a body get 404, not 413
  scfg.read_timeout = std::chrono::seconds{10};
  scfg.write_timeout = std::chrono::seconds{10};
  scfg.handler_timeout = std::chrono::seconds{10};
  h.server = std::make_shared<http::server>(io, scfg,
                                            make_dmsg_discovery_routes(h.actor, cfg.max_body));
  std::weak_ptr<http::server> weak = h.server;
  // Set before the first request can arrive; the actor reads it afterwards.
  api->set_metrics_source([weak] {
    auto s = weak.lock();
    return s ? s->metrics_text("dmsg_discovery_") : std::string{};
  });
  auto port = h.server->start();
  if (!port) {
    caf::anon_send_exit(h.actor, caf::exit_reason::user_shutdown);
    return port.error();
  }
  h.port = *port;
  return h;
}

} // namespace skywire::services
