// What the setup node computes for one route (reference §4.6 steps 3-4):
// how many route ids each visor must reserve, and the rules built from the
// reserved ids, exactly as the reference generates them. Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/routing/rule.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"

namespace skywire::services::setup_node {

namespace rs = wire::rpc::route_setup;

/// One visor's share of the ids of a route.
struct id_request {
  public_key pk;
  uint8_t count = 0;
};

/// The visors of a (validated) route with the number of ids each reserves:
/// for each path (forward, then reverse) one for Hops[0].From and one for
/// every hop's To. Ordered by first appearance (forward path first).
std::vector<id_request> id_requests(const rs::bidirectional_route& r);

/// The rules of a route.
struct route_rules {
  /// Transit visors' intermediary-forward rules (forward path's first).
  std::map<public_key, std::vector<wire::routing::rule>> intermediary;
  rs::edge_rules destination; ///< sent to desc.dst with AddEdgeRules
  rs::edge_rules source;      ///< returned to desc.src
};

/// Generates the rules from the ids each visor reserved (consumed in order,
/// forward path first). Errors when a visor's list does not hold exactly
/// the ids id_requests asked of it.
expected<route_rules> generate_rules(const rs::bidirectional_route& r,
                                     const std::map<public_key, std::vector<route_id>>& reserved);

} // namespace skywire::services::setup_node
