// Typed arguments and replies of the route setup RPC (reference §4.6):
// SetupRPCGateway.DialRouteGroup(BidirectionalRoute) -> EdgeRules on dmsg
// port 36, and the visor gateway's RPCGateway.ReserveIDs(uint8) -> []RouteID,
// AddIntermediaryRules([]Rule) -> bool, AddEdgeRules(EdgeRules) -> bool on
// port 136. Decoders take a gob value and the decoder that read it (fields
// are found by their Go names, whatever ids the peer gave its types); every
// count and size is checked, so hostile input fails with an error value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/gob/decoder.hpp"
#include "messages/wire/routing/route_descriptor.hpp"
#include "messages/wire/routing/rule.hpp"
#include "messages/wire/rpc/routing_schemas.hpp"

namespace skywire::wire::rpc::route_setup {

inline constexpr std::string_view dial_route_group_method = "SetupRPCGateway.DialRouteGroup";
inline constexpr std::string_view reserve_ids_method = "RPCGateway.ReserveIDs";
inline constexpr std::string_view add_intermediary_rules_method = "RPCGateway.AddIntermediaryRules";
inline constexpr std::string_view add_edge_rules_method = "RPCGateway.AddEdgeRules";
/// Not in the reference: our visors' gateway removes the rules stored under
/// these key route ids ([]RouteID -> bool). A Go visor answers "rpc: can't
/// find method" and keeps the connection, so calling it is harmless there.
inline constexpr std::string_view remove_rules_method = "RPCGateway.RemoveRules";

/// Hops a path may have at most when decoded (a bound on hostile input; the
/// setup node's own limit is lower and configurable).
inline constexpr size_t max_decoded_hops = 256;
/// Route ids one ReserveIDs reply may carry (the argument is a uint8).
inline constexpr size_t max_reserved_ids = 255;
/// Rules one AddIntermediaryRules / RemoveRules call may carry.
inline constexpr size_t max_rules_per_call = 1024;

bool operator==(const hop& a, const hop& b) noexcept;

/// Decoder limits for one route setup RPC stream (setup node, gateway and
/// setup client sides): `max_message` bytes per gob message, few small types,
/// shallow values, at most `max_nodes` value nodes per message.
gob::limits stream_limits(size_t max_message, size_t max_nodes = 1u << 16);

/// routing.BidirectionalRoute.
struct bidirectional_route {
  routing::route_descriptor desc;
  int64_t keep_alive_ns = 0; ///< time.Duration
  std::vector<hop> forward;  ///< desc.src -> desc.dst
  std::vector<hop> reverse;  ///< desc.dst -> desc.src

  friend bool operator==(const bidirectional_route&, const bidirectional_route&) = default;
};

/// routing.EdgeRules: what one endpoint of a route gets.
struct edge_rules {
  routing::route_descriptor desc; ///< the descriptor of the holder's consume rule
  routing::rule forward;          ///< the holder's forward rule
  routing::rule reverse;          ///< the holder's consume rule

  friend bool operator==(const edge_rules&, const edge_rules&) = default;
};

/// Gob value of a route / edge rules (for the encoder and the schemas of
/// routing_schemas.hpp).
gob::value to_gob(const bidirectional_route& r);
gob::value to_gob(const edge_rules& e);

/// Decoders of received values (`dec` is the decoder that produced `v`).
expected<bidirectional_route> bidirectional_route_from_gob(const gob::decoder& dec,
                                                           const gob::value& v);
expected<edge_rules> edge_rules_from_gob(const gob::decoder& dec, const gob::value& v);
expected<std::vector<route_id>> route_ids_from_gob(const gob::value& v);
expected<std::vector<routing::rule>> rules_from_gob(const gob::value& v);
expected<bool> bool_from_gob(const gob::value& v);
/// ReserveIDs' argument: a uint8.
expected<uint8_t> uint8_from_gob(const gob::value& v);

/// §4.1 validity plus what the reference leaves unchecked: both paths
/// non-empty and at most `max_hops` long, each a chain (hop i ends where hop
/// i+1 starts) from its endpoint to the other, no null key or transport id,
/// and no key visited twice on a path. A route from a key to itself (the
/// reference's ping loop, desc.src == desc.dst) may end where it started; no
/// other key repeats. keep_alive must be in (0, max_keep_alive_ns].
caf::error validate(const bidirectional_route& r, size_t max_hops, int64_t max_keep_alive_ns);

/// The reference's routing.Failure codes (§4.6).
enum class failure_code : uint8_t {
  unknown = 0,
  add_rules = 1,
  create_routes = 2,
  routes_created = 3,
  reserve_route_ids = 4,
};

const char* to_string(failure_code c) noexcept;

/// routing.Failure.Error(): "failure code <n> (<msg>)" (the net/rpc error text).
std::string failure_text(failure_code c, std::string_view msg);

/// Reads a failure text back: the code and the message, or nullopt-like
/// error when the text is not of that form (then it is some other error).
struct failure {
  failure_code code = failure_code::unknown;
  std::string msg;
};
expected<failure> parse_failure_text(std::string_view text);

} // namespace skywire::wire::rpc::route_setup
