// The visor's route setup gateway on dmsg port 136 (reference §4.6: Go
// net/rpc + gob, service "RPCGateway"), as a pure codec of the serving side:
//
//   RPCGateway.ReserveIDs(uint8) -> []uint32
//   RPCGateway.AddIntermediaryRules([]routing.Rule) -> bool
//   RPCGateway.AddEdgeRules(routing.EdgeRules) -> bool
//   RPCGateway.RemoveRules([]RouteID) -> bool   (ours: the setup node's
//                                               clean-up after a failure)
//
// The method names, routing.EdgeRules and routing.Failure are shared with
// the calling side (route_setup_calls.hpp).
//
// Every byte is hostile: the gob stream is bounded (gateway_limits), an
// argument of the wrong gob shape ends the connection (decode error), rule
// bytes that do not decode, more than max_gateway_rules rules or an unknown
// method are answered with an error and the connection carries on (as
// net/rpc answers a call it cannot serve). Failures are written as the
// reference's routing.Failure text: "failure code N (msg)".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/wire/routing/rule.hpp"
#include "messages/wire/rpc/net_rpc.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"

namespace skywire::wire::rpc::route_setup {

/// Most rules one AddIntermediaryRules call may carry.
inline constexpr size_t max_gateway_rules = 256;

/// The gob bounds of a gateway connection (a call is a few hundred bytes).
gob::limits gateway_limits();

enum class gateway_method : uint8_t {
  reserve_ids,
  add_intermediary_rules,
  add_edge_rules,
  remove_rules,
  unknown
};

/// One call read from the stream.
struct gateway_call {
  request_header header;
  gateway_method method = gateway_method::unknown;
  uint8_t count = 0;                ///< reserve_ids
  std::vector<routing::rule> rules; ///< add_intermediary_rules
  std::optional<edge_rules> edge;   ///< add_edge_rules
  std::vector<route_id> keys;       ///< remove_rules
  /// Set when the call cannot be served (unknown method, bad rule bytes,
  /// too many rules): answer it with this text and carry on.
  std::string refusal;
};

class gateway_codec {
public:
  explicit gateway_codec(std::shared_ptr<gob::process_types> proc = nullptr);

  void feed(byte_span bytes) { codec_.feed(bytes); }

  /// The next call, nullopt when more bytes are needed, or the error that
  /// ends the connection (malformed gob, an argument of the wrong shape).
  expected<std::optional<gateway_call>> next();

  caf::error reply_ids(const request_header& h, const std::vector<route_id>& ids,
                       std::vector<uint8_t>& out);
  caf::error reply_bool(const request_header& h, bool ok, std::vector<uint8_t>& out);
  caf::error reply_error(const request_header& h, std::string_view text, std::vector<uint8_t>& out);

private:
  server_codec codec_;
};

} // namespace skywire::wire::rpc::route_setup
