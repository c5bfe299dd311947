// The control surface of a visor's router (actors/routing/router): what the
// CLI gateway forwards from `skywire cli visor route …` through the visor.
// Local messages only. Rules travel as their binary form (§4.2) into the
// router and as RuleSummary JSON (§4.2, the reference's) out of it.
//
//   request(r, T, rt_rules_atom)                 -> JSON array of RuleSummary
//                                                   (by key route ID)
//   request(r, T, rt_rule_atom, uint32_t id)     -> RuleSummary | error (no such rule)
//   request(r, T, rt_save_atom, bytes rule)      -> RuleSummary of the saved rule
//                                                   | error (bad rule, ID in use)
//   request(r, T, rt_remove_atom, uint32_t id)   -> "\"ok\"" | error (no such rule)
//
// The reference's visor RPC names: RoutingRules, RoutingRule,
// SaveRoutingRule, RemoveRoutingRule.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace skywire::api {

using rt_rules_atom = caf::atom_constant<caf::atom("rt_rules")>;
using rt_rule_atom = caf::atom_constant<caf::atom("rt_rule")>;
using rt_save_atom = caf::atom_constant<caf::atom("rt_save")>;
using rt_remove_atom = caf::atom_constant<caf::atom("rt_remove")>;

using routing_control_actor =
  caf::typed_actor<caf::replies_to<rt_rules_atom>::with<std::string>,
                   caf::replies_to<rt_rule_atom, uint32_t>::with<std::string>,
                   caf::replies_to<rt_save_atom, std::vector<uint8_t>>::with<std::string>,
                   caf::replies_to<rt_remove_atom, uint32_t>::with<std::string>>;

} // namespace skywire::api
