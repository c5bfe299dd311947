// Errors of the visor's router (category atom "routing"). Like the
// transport's, every error carries its meaning in words in its context
// text, so describe(err) prints just that.
#pragma once

#include <cstdint>
#include <string>

#include "messages/error.hpp"

namespace skywire::routing {

enum class routing_errc : uint8_t {
  ids_exhausted = 1, ///< the route ID counter would reach 2^32-1 (§4.1)
  id_in_use,         ///< a rule with this key route ID is installed
  bad_rule,          ///< a rule the router refuses (zero ID, loop back, wrong type)
  unknown_rule,      ///< no rule with this route ID
  rule_expired,      ///< the rule's keep-alive passed ("rule keep-alive timeout exceeded")
  no_acceptor,       ///< edge rules came but nothing accepts routes here
  not_allowed,       ///< the peer is not in routing.route_setup_nodes
  unavailable,       ///< the visor runs no router
  dial_failed,       ///< a route dial failed (the text names the step)
};

const char* to_string(routing_errc x) noexcept;

caf::atom_value routing_category() noexcept;

caf::error make_error(routing_errc code, std::string context = {});

bool is(const caf::error& err, routing_errc code) noexcept;

} // namespace skywire::routing
