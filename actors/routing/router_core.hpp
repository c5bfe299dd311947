// The router's data plane (reference §4.9) as a plain class: the route sink
// of every up transport's link (transport::link_directory), called on the
// io shard that read the packet, plus the endpoints' send path. No mailbox
// hop per packet, no lock on the packet path (the rule table and the
// endpoint table are RCU snapshots), no decryption: payloads are opaque.
//
// On a packet that came on transport T with route ID r (r != 0):
//   forward / intermediary rule of r -> the same packet, route ID rewritten
//       to the rule's next route ID, sent on the rule's next transport;
//       a Close packet is forwarded and then the transit rule deleted;
//       a next transport that is T itself is fine (the reference's ping
//       loop S -> B -> S turns around at B on one transport, new route ID);
//   consume rule of r -> the endpoint registered for r (the route group's
//       on_packet, on this shard); none registered: counted (no_endpoint);
//   no rule -> counted (unknown_route); expired rule -> counted
//       (expired_rule); next transport not up -> counted (no_transport);
//       its send queue full -> counted (next_busy): the transit hop never
//       blocks the shard of another transport, and the route group's own
//       retransmission (reliable mode) or the app recovers.
// Every drop is counted by kind (drops()), never silent; the first of each
// kind is logged.
//
// Endpoints (the seam with the route group): set_endpoint(consume route ID,
// handler) registers the handler that takes the packets of a consume rule;
// send(forward rule key, type, payload) sends through the endpoint's forward
// rule (refreshing its activity, as the reference's endpoint write does).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "actors/routing/rule_table.hpp"
#include "actors/transport/link_directory.hpp"
#include "messages/wire/routing/packet.hpp"

namespace skywire::routing {

/// Packets the router did not deliver or forward, by cause.
struct drop_counters {
  std::atomic<uint64_t> unknown_route{0}; ///< no rule for the route ID
  std::atomic<uint64_t> expired_rule{0};  ///< the rule's keep-alive passed
  std::atomic<uint64_t> no_transport{0};  ///< the next transport is not up here
  std::atomic<uint64_t> next_busy{0};     ///< the next transport's send queue was full
  std::atomic<uint64_t> no_endpoint{0};   ///< a consume rule without a registered endpoint
};

/// A snapshot of the counters (plain numbers).
struct router_stats {
  uint64_t forwarded = 0;
  uint64_t delivered = 0;
  uint64_t closes_forwarded = 0;
  uint64_t unknown_route = 0;
  uint64_t expired_rule = 0;
  uint64_t no_transport = 0;
  uint64_t next_busy = 0;
  uint64_t no_endpoint = 0;
  uint64_t dropped() const noexcept {
    return unknown_route + expired_rule + no_transport + next_busy + no_endpoint;
  }
  /// {"forwarded":…, "delivered":…, "dropped":{"unknown_route":…, …}}
  std::string to_json() const;
};

class router_core : public std::enable_shared_from_this<router_core> {
public:
  /// Takes the packets of one consume route, on the shard that read them.
  using endpoint = std::function<void(const wire::routing::packet_view&)>;
  using write_result = transport::transport_core::write_result;

  router_core(std::shared_ptr<rule_table> table, transport::link_directory_ptr links);

  /// Installs this core as the directory's route sink (a weak reference:
  /// packets after the core is gone are counted by the directory).
  void attach();

  /// One routing packet that came on transport `from`. [link thread]
  void on_packet(const transport_id& from, const wire::routing::packet_view& p);

  /// The endpoint of consume route `rid` (replaces any). `gone` (optional)
  /// is called once when the consume rule is removed (swept, rm-rule): the
  /// reference closes the route group then. [any]
  void set_endpoint(route_id rid, endpoint fn, std::function<void()> gone = {});
  /// Unregisters the endpoint; with `rule_removed`, its `gone` is called.
  void clear_endpoint(route_id rid, bool rule_removed = false);

  /// Sends one packet through the forward rule keyed `fwd` (its next route
  /// ID, on its next transport), refreshing the rule. closed when the rule
  /// is missing, expired or not a forward rule, or its transport is down.
  /// [any]
  write_result send(route_id fwd, wire::routing::packet_type type, byte_span payload);

  router_stats stats() const;
  const rule_table& table() const noexcept { return *table_; }
  std::shared_ptr<rule_table> table_ptr() const noexcept { return table_; }

private:
  struct endpoint_entry {
    endpoint fn;
    std::function<void()> gone;
  };
  using endpoint_map = std::unordered_map<uint32_t, std::shared_ptr<const endpoint_entry>>;

  void forward(const transport_id& from, const wire::routing::packet_view& p,
               const installed_rule& r);
  void deliver(const wire::routing::packet_view& p);
  void count(std::atomic<uint64_t>& c, unsigned kind_no, const char* kind, route_id rid);

  std::shared_ptr<rule_table> table_;
  transport::link_directory_ptr links_;
  std::mutex ep_mtx_;
  std::atomic<std::shared_ptr<const endpoint_map>> endpoints_;
  drop_counters drops_;
  std::atomic<uint64_t> forwarded_{0};
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> closes_{0};
  std::atomic<uint32_t> logged_{0}; ///< a bit per drop kind already logged
};

using router_core_ptr = std::shared_ptr<router_core>;

} // namespace skywire::routing
