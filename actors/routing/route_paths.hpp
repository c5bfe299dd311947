// The paths of a route group beyond its first one, as plain code shared by
// the visor's route manager and the simulations (tests/sim):
//  - pick_path: which of the route finder's candidates becomes a group's
//    new path when one was lost (re-establishment) or a second one is wanted
//    (multipath): none that uses a transport known dead, the fewest
//    transports shared with the paths to avoid (the lost path, the paths in
//    use), the route finder's order among equals (shortest first);
//  - path_registry: at the destination, the route groups by descriptor, so
//    that edge rules of a route already open here (the dialer's new or second
//    path: same descriptor) become a path of that group instead of a second
//    group. Only reliable groups take paths (a Go peer never sets a route up
//    twice with one descriptor; its second route gets a group of its own).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "messages/ids.hpp"
#include "messages/wire/routing/route_finder.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"

namespace skywire::routing {

using wire::routing::path;

/// The transports a path uses, in order.
std::set<transport_id> path_transports(const path& p);

/// The index of the candidate to use, or nullopt when every candidate uses a
/// transport in `dead` (or there are none).
std::optional<size_t> pick_path(const std::vector<path>& candidates,
                                const std::set<transport_id>& avoid,
                                const std::set<transport_id>& dead = {});

/// Route groups that take more paths, by route descriptor (thread-safe: the
/// setup gateway's thread asks, the owner's registers).
class path_registry {
public:
  /// Takes the edge rules of a new path of the group; an error refuses them.
  using attach_fn = std::function<caf::error(const wire::rpc::route_setup::edge_rules&)>;

  /// Registers (or replaces) the group of `desc`.
  void put(const wire::routing::route_descriptor& desc, attach_fn fn);
  void remove(const wire::routing::route_descriptor& desc);

  /// The attach function of the group these edge rules belong to (their
  /// forward rule's descriptor), or none: a new group.
  attach_fn find(const wire::rpc::route_setup::edge_rules& e) const;
  size_t size() const;

private:
  using key = std::vector<uint8_t>;
  static key key_of(const wire::routing::route_descriptor& d);
  mutable std::mutex mtx_;
  std::map<key, attach_fn> groups_;
};

} // namespace skywire::routing
