// The address resolver service and its start function.
//
// spawn_address_resolver() opens the UDP side (sudph_listener: UDP sockets
// and the sudph channel table on one io shard), then starts an HTTP server
// (runtime/http, with its admission control, per-source connection caps and
// deadlines) whose routes forward each request, with its responder, to one
// actor that owns the ar_api (store, httpauth nonces, budgets). The UDP side
// tells the actor of sudph bindings with ar_sudph_bound / ar_sudph_unbound;
// the actor asks it to push or drop through the API's sudph_control.
#pragma once

#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/services/address_resolver/api.hpp"
#include "actors/services/address_resolver/sudph_listener.hpp"
#include "actors/services/http_service.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::services::address_resolver {

/// One HTTP request routed to the actor (local only, never BASP).
using ar_call = http_call<ar_op>;

/// A sudph channel's bind message, from the UDP side (local only).
struct ar_sudph_bound {
  public_key pk;
  wire::transport::visor_data data;
  boost::asio::ip::address observed;
  uint64_t channel = 0;
};

/// A bound sudph channel ended, from the UDP side (local only).
struct ar_sudph_unbound {
  public_key pk;
  uint64_t channel = 0;
  std::string why;
};

/// A running address resolver.
struct ar_handle {
  http_service_handle http;
  std::shared_ptr<sudph_listener> udp; ///< null without a UDP side
  uint16_t port = 0;                   ///< the HTTP port
  std::vector<uint16_t> udp_ports;     ///< in the order of ar_config::udp

  /// Stops the UDP side, the HTTP server and the actor (idempotent).
  void stop();
};

/// Table settings of the UDP side (channel bounds and deadlines).
struct ar_udp_settings {
  sudph_table_config table;
  io::udp_socket::options socket;
};

/// Spawns the actor and starts listening on cfg.host:cfg.port (HTTP) and
/// on cfg.udp (sudph). Ports 0 are ephemeral, reported in the handle. The
/// UDP side runs on io.context() (shard 0), as the HTTP server does.
/// `store` defaults to the in-memory one.
expected<ar_handle> spawn_address_resolver(caf::actor_system& sys, io::io_runtime& io,
                                           ar_config cfg, ar_udp_settings udp = {},
                                           std::unique_ptr<binding_store> store = {});

/// The HTTP routes of the address resolver, forwarding to `actor`.
http::router make_ar_routes(caf::actor actor, size_t max_body);

} // namespace skywire::services::address_resolver

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::address_resolver::ar_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::address_resolver::ar_sudph_bound)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::address_resolver::ar_sudph_unbound)
