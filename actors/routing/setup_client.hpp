// The visor's client of the route setup nodes (reference §4.6 step 2, §4.7
// step 5): dials the configured setup nodes on dmsg port 36 in order, calls
// SetupRPCGateway.DialRouteGroup(BidirectionalRoute) and returns the edge
// rules the node answered (checked against the route asked for).
//
// Retries are bounded: a node that cannot be dialed is skipped for the next
// one; an attempt whose answer does not come within `call_timeout` (lost
// answer, closed stream) is retried at the same node, which recognises the
// repeat and answers with the same edge rules (the setup node is idempotent),
// so a retry never makes a second route. A node's failure answer is final.
//
//   request(client, T, setup_route_atom, bidirectional_route)
//     -> edge_rules | error (category "rtsetup", setup_errc: the step that failed)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/error.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"

namespace skywire::routing {

namespace rs = wire::rpc::route_setup;

using setup_route_atom = caf::atom_constant<caf::atom("rt_setup")>;

struct setup_client_config {
  std::vector<public_key> setup_nodes; ///< routing.route_setup_nodes, tried in order
  uint16_t port = 36;
  std::chrono::milliseconds dial_timeout{5'000};
  /// One DialRouteGroup call (the node's own deadline is 30 s).
  std::chrono::milliseconds call_timeout{35'000};
  size_t attempts = 3; ///< dials + calls at most, over all nodes
  std::chrono::milliseconds retry_backoff{200};
  size_t max_message = 64 * 1024; ///< the answer's gob messages
  size_t max_calls = 64;          ///< route setups in progress
};

/// The step of a route setup that failed (category "rtsetup").
enum class setup_errc : uint8_t {
  no_setup_node = 1, ///< none configured
  dial,              ///< no setup node could be dialed
  no_answer,         ///< dialed, but no answer within the deadline (after the retries)
  failed,            ///< the node answered with a failure (routing.Failure)
  bad_answer,        ///< an answer that does not decode or does not fit the route
  busy,              ///< too many setups in progress here
};

const char* to_string(setup_errc x) noexcept;
caf::atom_value setup_category() noexcept;
caf::error make_error(setup_errc code, std::string text);
bool is(const caf::error& err, setup_errc code) noexcept;
/// The routing.Failure code of a `failed` error (the node's answer).
std::optional<rs::failure_code> failure_code_of(const caf::error& err);

/// Checks that edge rules answered for `route` are the source's: descriptor
/// inverted, forward rule on the route's first transport with the route's
/// descriptor, consume rule with the inverted one, the route's keep-alive.
caf::error check_source_rules(const rs::bidirectional_route& route, const rs::edge_rules& e);

caf::actor spawn_setup_client(caf::actor_system& sys, api::dmsg_client_actor dmsg,
                              setup_client_config cfg);

} // namespace skywire::routing

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::wire::rpc::route_setup::bidirectional_route)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::wire::rpc::route_setup::edge_rules)
