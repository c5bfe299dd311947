// The route setup node (reference §1.9, §4.6): a dmsg service that serves
// Go net/rpc (gob) `SetupRPCGateway.DialRouteGroup(BidirectionalRoute) ->
// EdgeRules` on dmsg port 36. For each request it validates the route
// (route_setup_calls.hpp: §4.1 plus no key twice and bounded hop counts),
// dials every visor of the route on port 136 and calls RPCGateway.ReserveIDs
// at all of them in parallel, generates the rules (route_plan.hpp), pushes
// the transit rules with AddIntermediaryRules in parallel, the destination's
// edge rules with AddEdgeRules, and answers the caller with its edge rules.
//
// Deadlines: the whole request (30 s) and every step at every visor (dial +
// call). A failure answers with the reference's routing.Failure text (code
// 4 reserve route IDs, 1 add rules, 2 create routes for an invalid route,
// 0 for anything else) and sends RPCGateway.RemoveRules (ours; a Go visor
// refuses the unknown method harmlessly) to every visor that was given
// rules; keep-alive expiry removes them otherwise. A repeated request (same
// caller, same route) while the first is in progress or up to one request
// timeout after it succeeded gets the same edge rules (request_cache.hpp),
// unless the caller closed the stream cleanly after its answer was written:
// then it had the rules, and the same route asked again is a new route.
//
// The node models one Go process: one gob type-id allocation for every
// stream it writes (as encoding/gob does process-wide), so its first route
// reproduces the reference's bytes on every channel.
//
// Messages:
//   request(node, T, ready_atom) -> ok_atom once port 36 listens (or error)
//   request(node, T, info_atom)  -> setup_node_stats
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/api/dmsg.hpp"

namespace skywire::services::setup_node {

struct setup_node_config {
  uint16_t port = 36;          ///< where visors call DialRouteGroup
  uint16_t gateway_port = 136; ///< where visors serve RPCGateway
  std::chrono::milliseconds request_timeout{30'000}; ///< one DialRouteGroup, whole
  std::chrono::milliseconds hop_timeout{10'000};     ///< one step at one visor (dial + call)
  std::chrono::milliseconds idle_timeout{60'000};    ///< a port-36 stream without calls
  size_t max_hops = 50;                              ///< per path
  std::chrono::nanoseconds max_keep_alive{std::chrono::hours{1}};
  size_t max_connections = 1024;          ///< port-36 streams at once
  size_t max_requests = 1024;             ///< routes being set up at once
  size_t max_calls_per_connection = 8;    ///< calls in progress on one stream
  /// Visors dialed at once (a dial may look the visor up in the dmsg
  /// discovery, whose per-address admission refuses bursts); the others wait
  /// their turn within their hop deadline.
  size_t max_parallel_dials = 32;
  size_t cache_capacity = 4096;           ///< remembered requests (idempotent retries)
  size_t max_message = 256 * 1024;        ///< one gob message read
  /// Refuse a route whose source is not the caller (the reference does not
  /// check: anyone could make routes between others).
  bool require_caller_is_source = true;
};

struct setup_node_stats {
  uint64_t requests = 0;      ///< DialRouteGroup calls read
  uint64_t started = 0;       ///< routes set up from scratch
  uint64_t succeeded = 0;     ///< routes set up
  uint64_t failed = 0;        ///< routes that failed
  uint64_t repeated = 0;      ///< calls answered from or joined to an earlier request
  uint64_t refused = 0;       ///< invalid routes, busy, wrong caller
  uint64_t streams_refused = 0; ///< port-36 streams over max_connections
  uint64_t cleanups = 0;      ///< RemoveRules calls sent after failures
  uint64_t answers_taken = 0; ///< answered routes whose caller then closed cleanly (forgotten)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, setup_node_stats& x) {
  return f(caf::meta::type_name("skywire::services::setup_node::setup_node_stats"), x.requests,
           x.started, x.succeeded, x.failed, x.repeated, x.refused, x.streams_refused, x.cleanups,
           x.answers_taken);
}

/// Spawns the node on `client` (a dmsg client with the node's key).
caf::actor spawn_setup_node(caf::actor_system& sys, api::dmsg_client_actor client,
                            setup_node_config cfg);

} // namespace skywire::services::setup_node
