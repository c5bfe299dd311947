// The visor's route setup gateway (reference §4.6): listens on dmsg port 136
// through the visor's dmsg client (re-listening whenever the client is
// restarted) and serves the setup nodes' gob net/rpc calls (ReserveIDs,
// AddIntermediaryRules, AddEdgeRules; gateway_session.hpp) against the
// router's state.
//
//  - Whitelist: a stream is served only when its remote key is in
//    routing.route_setup_nodes; any other is closed at once, counted
//    (refused_streams in `visor info`) and logged once per key.
//  - At most max_sessions streams at once (more are closed and counted); a
//    stream idle for idle_timeout is closed; one that sends malformed gob
//    is closed.
//  - The gateway owns each accepted stream (its data, acks and end come
//    here) and opens its receive window as it consumes the bytes.
//
// A thin actor: the calls are served by plain classes; it answers the
// supervisor's status request (system::info_provider_actor).
#pragma once

#include <chrono>
#include <cstddef>
#include <set>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/dmsg/client_ref.hpp"
#include "actors/routing/router_state.hpp"
#include "messages/ids.hpp"

namespace skywire::routing {

/// The reference's port of the visor's RPC gateway.
inline constexpr uint16_t setup_gateway_port = 136;

struct setup_gateway_config {
  uint16_t dmsg_port = setup_gateway_port;
  std::vector<public_key> setup_nodes; ///< routing.route_setup_nodes
  size_t max_sessions = 64;
  std::chrono::milliseconds idle_timeout{60'000};
};

/// The setup nodes a visor takes rules from (routing.route_setup_nodes): a
/// stream from any other key is refused before a byte of it is read.
class setup_node_whitelist {
public:
  explicit setup_node_whitelist(const std::vector<public_key>& nodes)
    : keys_(nodes.begin(), nodes.end()) {}
  bool admits(const public_key& pk) const { return keys_.count(pk) != 0; }
  size_t size() const noexcept { return keys_.size(); }

private:
  std::set<public_key> keys_;
};

/// Spawns the gateway; it listens as soon as `client` holds a dmsg client.
caf::actor spawn_setup_gateway(caf::actor_system& sys, dmsg::client_ref_ptr client,
                               router_state_ptr router, setup_gateway_config cfg);

} // namespace skywire::routing
