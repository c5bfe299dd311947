// Routing rules (reference §4.2): the binary form that travels inside the
// setup-node RPC, the log form and the RuleSummary JSON of the hypervisor API.
//
//   keep-alive u64 BE ns | type u8 | key route id u32 BE | body
//   consume (0):      descriptor[70]                                  = 83 bytes
//   forward (1):      descriptor[70] | next rid u32 | next tp[16] | 0[17] = 120 bytes
//   intermediary (2): next rid u32 | next tp[16] | 0[17]               = 50 bytes
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/ids.hpp"
#include "messages/wire/routing/route_descriptor.hpp"

namespace skywire::wire::routing {

enum class rule_type : uint8_t {
  consume = 0,              ///< "app"/"REV": delivers to a local route group
  forward = 1,              ///< first hop at an endpoint
  intermediary_forward = 2, ///< transit hop
};

const char* to_string(rule_type t) noexcept;

inline constexpr size_t rule_header_size = 13;
inline constexpr size_t consume_rule_size = 83;
inline constexpr size_t forward_rule_size = 120;              ///< padded, as written
inline constexpr size_t forward_rule_unpadded_size = 103;     ///< accepted on input
inline constexpr size_t intermediary_rule_size = 50;          ///< padded, as written
inline constexpr size_t intermediary_rule_unpadded_size = 33; ///< accepted on input

/// Default route keep-alive of the reference (30 s).
inline constexpr std::chrono::nanoseconds default_route_keep_alive = std::chrono::seconds{30};

/// One routing rule. Fields that the type does not use stay zero.
struct rule {
  std::chrono::nanoseconds keep_alive{0}; ///< never negative (clamped to 0)
  rule_type type = rule_type::consume;
  route_id key;                     ///< the id incoming packets carry
  route_descriptor desc;            ///< consume, forward
  route_id next_route;              ///< forward, intermediary_forward
  transport_id next_transport;      ///< forward, intermediary_forward

  bool has_descriptor() const noexcept { return type != rule_type::intermediary_forward; }
  bool has_next_hop() const noexcept { return type != rule_type::consume; }

  /// Padded binary form (83 / 120 / 50 bytes).
  std::vector<uint8_t> encode() const;
  void encode(std::vector<uint8_t>& out) const;

  /// Strict decoder: exactly the padded or the unpadded size of the type,
  /// zero padding, keep-alive < 2^63.
  static expected<rule> decode(byte_span in);

  /// The reference's log form: REV(...), FWD(...), INTER(...).
  std::string to_string() const;

  friend bool operator==(const rule&, const rule&) = default;
};

/// Constructors mirroring the reference's (negative keep-alive stored as 0).
rule make_consume_rule(std::chrono::nanoseconds keep_alive, route_id key,
                       const route_descriptor& desc);
rule make_forward_rule(std::chrono::nanoseconds keep_alive, route_id key, route_id next,
                       const transport_id& next_tp, const route_descriptor& desc);
rule make_intermediary_rule(std::chrono::nanoseconds keep_alive, route_id key, route_id next,
                            const transport_id& next_tp);

/// RuleSummary JSON exactly as Go's json.Marshal writes it (no newline).
std::string encode_summary_json(const rule& r);

/// Parses a RuleSummary: exactly the fields object that matches rule_type
/// must be present (like RuleSummary.ToRule); at most 4 KiB.
expected<rule> decode_summary_json(std::string_view text);

inline constexpr size_t max_rule_summary_json = 4096;

} // namespace skywire::wire::routing
