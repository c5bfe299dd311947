#include "actors/services/address_resolver/service.hpp"

#include <caf/send.hpp>

#include "actors/services/address_resolver/errors.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::services::address_resolver {

namespace {

/// The service actor: the shared HTTP service actor plus the UDP side's
/// binding events.
class ar_actor final : public services::detail::http_service_actor<ar_api, ar_op> {
public:
  using super = services::detail::http_service_actor<ar_api, ar_op>;
  using super::super;

protected:
  caf::message_handler extra_handlers() override {
    return {
      [this](ar_sudph_bound& m) {
        if (!this->state.api->sudph_bound(m.pk, m.data, m.observed, m.channel))
          SKYWIRE_LOG(info, "ar", "sudph binding refused (store bounds)", log::kv("pk", m.pk),
                      log::kv("remote", m.data.remote_addr));
      },
      [this](ar_sudph_unbound& m) { this->state.api->sudph_unbound(m.pk, m.channel); },
    };
  }
};

} // namespace

void ar_handle::stop() {
  if (udp)
    udp->stop();
  http.stop();
}

http::router make_ar_routes(caf::actor actor, size_t max_body) {
  http::router r;
  auto fwd = [actor](ar_op op) { return forward_to(actor, op); };
  http::route_options none{.body_limit = 0};
  http::route_options small{.body_limit = 4096};
  http::route_options body{.body_limit = max_body};
  r.post("/bind/stcpr", fwd(ar_op::bind_stcpr), body);
  r.del("/bind/stcpr", fwd(ar_op::unbind_stcpr), small);
  r.get("/resolve/{type}/{pk}", fwd(ar_op::resolve), none);
  r.get("/transports", fwd(ar_op::transports), none);
  r.del("/deregister/{network}", fwd(ar_op::deregister), body);
  r.get("/security/nonces/{pk}", fwd(ar_op::nonce), none);
  r.get("/health", fwd(ar_op::health), none);
  r.get("/metrics", fwd(ar_op::metrics), none);
  return r;
}

expected<ar_handle> spawn_address_resolver(caf::actor_system& sys, io::io_runtime& io,
                                           ar_config cfg, ar_udp_settings udp,
                                           std::unique_ptr<binding_store> store) {
  ar_handle h;
  auto udp_addrs = cfg.udp;
  auto api = std::make_shared<ar_api>(cfg, std::move(store));
  if (!udp_addrs.empty()) {
    auto l = sudph_listener::open(io.context(), udp_addrs, udp.table, udp.socket);
    if (!l)
      return std::move(l.error());
    h.udp = *l;
    h.udp_ports = h.udp->ports();
    api->set_sudph(h.udp);
    api->set_sudph_metrics([weak = std::weak_ptr<sudph_listener>{h.udp}] {
      auto l = weak.lock();
      return l ? l->metrics_text("ar_") : std::string{};
    });
  }
  // the server's own refusals (404, 405, 413, ...) in the reference's shape too
  auto o = service_options("ar", cfg, cfg.sweep_interval, error_reply);
  auto started = start_http_service<ar_op, ar_api, ar_actor>(
    sys, io, api, std::move(o),
    [&](caf::actor a) { return make_ar_routes(std::move(a), cfg.max_body); });
  if (!started) {
    if (h.udp)
      h.udp->stop();
    return std::move(started.error());
  }
  h.http = std::move(*started);
  h.port = h.http.port;
  if (h.udp) {
    sudph_listener::sink s;
    auto actor = h.http.actor;
    s.bound = [actor](const public_key& pk, const wire::transport::visor_data& data,
                      const boost::asio::ip::address& observed, uint64_t channel) {
      caf::anon_send(actor, ar_sudph_bound{pk, data, observed, channel});
    };
    s.unbound = [actor](const public_key& pk, uint64_t channel, std::string why) {
      caf::anon_send(actor, ar_sudph_unbound{pk, channel, std::move(why)});
    };
    h.udp->start(std::move(s));
  }
  return h;
}

} // namespace skywire::services::address_resolver
