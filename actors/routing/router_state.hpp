// What a visor's router shares between its actors and its io shards: the
// route ID pool, the rule table, the data plane (router_core over the
// transport manager's link_directory) and the edge acceptor seam. Plain and
// thread-safe; the router actor (router.hpp) sweeps and answers the CLI,
// the setup gateway (setup_gateway.hpp) serves the setup nodes with it.
//
// The edge acceptor (the seam with the route group part): AddEdgeRules at
// the destination installs the forward and consume rules and hands them to
// the acceptor, which creates the route group (or refuses: the rules are
// removed again and the setup node told). Without an acceptor, edge rules
// are refused (no_acceptor) and nothing is installed.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "actors/routing/route_id_pool.hpp"
#include "actors/routing/router_core.hpp"
#include "actors/routing/rule_table.hpp"
#include "actors/transport/link_directory.hpp"
#include "messages/wire/rpc/route_gateway.hpp"

namespace skywire::routing {

using edge_rules = wire::rpc::route_setup::edge_rules;

/// Takes the edge rules of a route set up toward this visor (from setup
/// node `from`); an error refuses the route. Called on the gateway's thread.
using edge_acceptor = std::function<caf::error(const public_key& from, const edge_rules&)>;

/// The setup gateway's view of the router (a test may fake it).
class gateway_backend {
public:
  virtual ~gateway_backend() = default;
  virtual expected<std::vector<route_id>> reserve_ids(uint8_t n) = 0;
  virtual caf::error add_intermediary_rules(const public_key& from,
                                            const std::vector<wire::routing::rule>& rules) = 0;
  virtual caf::error add_edge_rules(const public_key& from, const edge_rules& rules) = 0;
  /// RemoveRules (ours: a setup node cleaning up after a failed setup).
  virtual caf::error remove_rules(const public_key& from, const std::vector<route_id>& keys);
};

class router_state : public gateway_backend {
public:
  /// `now`: monotonic time for the table (steady_clock when empty).
  explicit router_state(transport::link_directory_ptr links, rule_table::clock now = {});

  const std::shared_ptr<rule_table>& table() const noexcept { return table_; }
  const router_core_ptr& core() const noexcept { return core_; }
  const transport::link_directory_ptr& links() const noexcept { return links_; }
  route_id_pool& pool() noexcept { return pool_; }

  void set_edge_acceptor(edge_acceptor fn);

  // -- gateway_backend -------------------------------------------------------------------
  expected<std::vector<route_id>> reserve_ids(uint8_t n) override;
  /// Intermediary-forward rules only, keys this visor reserved and not in
  /// use; all or none.
  caf::error add_intermediary_rules(const public_key& from,
                                    const std::vector<wire::routing::rule>& rules) override;
  /// A forward rule and a consume rule on reserved keys, handed to the edge
  /// acceptor; removed again when it refuses.
  caf::error add_edge_rules(const public_key& from, const edge_rules& rules) override;
  /// The rules under `keys` (those present), as remove_rule does.
  caf::error remove_rules(const public_key& from, const std::vector<route_id>& keys) override;

  /// A rule from the CLI (add-rule): any type, any key not in use (the
  /// reference's SaveRoutingRule); the pool is moved past the key so it is
  /// never handed out later.
  caf::error save_rule(const wire::routing::rule& r);

  /// Removes a rule; a removed consume rule's endpoint is cleared.
  std::optional<wire::routing::rule> remove_rule(route_id rid);

  /// The 5 s sweep: expired rules removed, their endpoints cleared.
  std::vector<wire::routing::rule> sweep();

private:
  caf::error check_reserved(const wire::routing::rule& r) const;
  void forget(const std::vector<wire::routing::rule>& removed);

  transport::link_directory_ptr links_;
  std::shared_ptr<rule_table> table_;
  router_core_ptr core_;
  route_id_pool pool_;
  mutable std::mutex acc_mtx_;
  edge_acceptor acceptor_;
};

using router_state_ptr = std::shared_ptr<router_state>;

} // namespace skywire::routing
