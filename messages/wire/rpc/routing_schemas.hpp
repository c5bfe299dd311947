// Go types of the route setup RPC (SetupRPCGateway / RPCGateway) as gob
// schemas, with the Go names the reference writes into type definitions,
// plus value builders. Rules and descriptors stay opaque bytes here; their
// layouts belong to wire/routing.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "messages/ids.hpp"
#include "messages/wire/gob/types.hpp"
#include "messages/wire/gob/value.hpp"

namespace skywire::wire::rpc::route_setup {

/// uuid.UUID (BinaryMarshaler, 16 bytes).
const gob::schema_ptr& uuid_schema();
/// cipher.PubKey (BinaryMarshaler, 33 bytes).
const gob::schema_ptr& pubkey_schema();
/// routing.RouteDescriptor = [70]byte (no marshaler: array of uints).
const gob::schema_ptr& route_descriptor_schema();
/// routing.Hop{TpID uuid.UUID; From, To cipher.PubKey}.
const gob::schema_ptr& hop_schema();
/// routing.BidirectionalRoute{Desc RouteDescriptor; KeepAlive time.Duration;
/// Forward, Reverse []routing.Hop}.
const gob::schema_ptr& bidirectional_route_schema();
/// routing.EdgeRules{Desc RouteDescriptor; Forward, Reverse routing.Rule ([]byte)}.
const gob::schema_ptr& edge_rules_schema();
/// []routing.RouteID as a top-level value (unnamed: the definition has no name).
const gob::schema_ptr& route_ids_schema();
/// []routing.Rule as a top-level value (unnamed).
const gob::schema_ptr& rules_schema();

inline constexpr size_t route_descriptor_size = 70;

struct hop {
  transport_id tp_id;
  public_key from;
  public_key to;
};

gob::value hop_value(const hop& h);
gob::value bidirectional_route_value(std::span<const uint8_t, route_descriptor_size> desc,
                                     int64_t keep_alive_ns, const std::vector<hop>& forward,
                                     const std::vector<hop>& reverse);
gob::value edge_rules_value(std::span<const uint8_t, route_descriptor_size> desc,
                            std::span<const uint8_t> forward_rule,
                            std::span<const uint8_t> reverse_rule);
gob::value route_ids_value(const std::vector<route_id>& ids);
gob::value rules_value(const std::vector<std::vector<uint8_t>>& rules);

} // namespace skywire::wire::rpc::route_setup
