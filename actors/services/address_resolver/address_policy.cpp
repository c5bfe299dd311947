#include "actors/services/address_resolver/address_policy.hpp"

namespace skywire::services::address_resolver {

using io::address_scope;

const char* to_string(visibility v) noexcept {
  switch (v) {
  case visibility::hidden: return "hidden";
  case visibility::visible: return "visible";
  case visibility::local: return "local";
  }
  return "unknown";
}

visibility address_policy::visible_to(const boost::asio::ip::address& bound,
                                      const boost::asio::ip::address& viewer) const noexcept {
  auto b = io::unmapped(bound);
  auto scope = io::classify(b);
  if (scope == address_scope::unusable)
    return visibility::hidden;
  if (b == io::unmapped(viewer) && (test_mode || scope != address_scope::container_bridge))
    return visibility::local;
  if (test_mode || scope == address_scope::public_)
    return visibility::visible;
  return visibility::hidden;
}

std::optional<std::string>
address_policy::stcpr_refusal(const boost::asio::ip::address& observed) const {
  auto a = io::unmapped(observed);
  if (!a.is_v4())
    return std::string{"not an IPv4 address (a Go dialer cannot join an IPv6 address and a port)"};
  auto scope = io::classify(a);
  if (scope == address_scope::unusable)
    return std::string{"not a unicast address"};
  if (!test_mode && scope != address_scope::public_)
    return std::string{"a "} + io::to_string(scope) + " address, not a public one";
  return std::nullopt;
}

} // namespace skywire::services::address_resolver
