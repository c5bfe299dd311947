// The up transports' links by transport ID, for the data plane: the router
// sends on a transport by ID from any shard, and sees every routing packet
// (route ID != 0) of every up transport on the link's own thread.
//
//  - The transport manager put()s a transport's carrying link when it comes
//    up or its connection is replaced (mt_up), and remove()s it when the
//    transport goes down or fails, and all of its own when it stops.
//  - put() installs the directory's packet sink on the link: each routing
//    packet reaches the route sink with the ID of the transport it came on.
//    The route sink may be set (or replaced) at any time; without one a
//    packet is counted as dropped (dropped_no_sink).
//  - Route 0 stays the transport's own (its ping, its close): the link
//    never hands route-0 packets to a sink (transport_link.hpp).
//  - Readers take no lock: the table is an immutable snapshot swapped
//    atomically (writes: a transport up or down, rare).
//
// A packet that arrives between the link's lk_up and the manager's put()
// (one actor hop) finds no sink on the link yet and is counted by the link
// as dropped (transport_link::packets_dropped), as before a router existed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "actors/transport/transport_link.hpp"

namespace skywire::transport {

class link_directory {
public:
  /// Called with each routing packet (route ID != 0) of every link put
  /// here, on that link's thread; the view is valid during the call only.
  using route_sink = std::function<void(const transport_id& arrived_on,
                                        const wire::routing::packet_view&)>;

  link_directory();

  /// The consumer of every link's routing packets (null: none). [any]
  void set_sink(route_sink sink);

  /// `link` carries transport `id` from now on (replacing any other). [any]
  void put(const transport_id& id, const transport_link_ptr& link);

  /// Forgets `id`; when `link` is given only if it is still the one put. [any]
  void remove(const transport_id& id, const transport_link_ptr& link = nullptr);

  /// The link of `id` (null: none). [any, lock-free]
  transport_link_ptr find(const transport_id& id) const;

  /// Sends one routing packet on transport `id`; closed when there is none.
  /// [any]
  transport_core::write_result send(const transport_id& id, wire::routing::packet_type type,
                                    route_id rid, byte_span payload) const;

  /// The IDs put here. [any]
  std::vector<transport_id> ids() const;
  size_t size() const;

  /// Packets that came while no sink was set.
  uint64_t dropped_no_sink() const noexcept { return cell_->dropped.load(std::memory_order_relaxed); }

private:
  using table = std::unordered_map<transport_id, transport_link_ptr>;
  struct sink_cell {
    std::atomic<std::shared_ptr<const route_sink>> sink;
    std::atomic<uint64_t> dropped{0};
  };

  std::shared_ptr<sink_cell> cell_;
  std::mutex write_mtx_;
  std::atomic<std::shared_ptr<const table>> links_;
};

using link_directory_ptr = std::shared_ptr<link_directory>;

} // namespace skywire::transport
