// Which observed address the address resolver may hand to whom
// (docs/protocol/address-resolver.md, "Address policy"; issue 9: no private
// or container-bridge address handed out as a public one).
//
// Every binding keeps the address the resolver saw it from (the HTTP peer
// of a stcpr bind, the UDP peer of a sudph channel). When somebody resolves
// it, or is pushed its address, the two observed addresses decide:
//   * the same IP (same host, or behind the same NAT): "local" — the answer
//     carries is_local and the binder's own local addresses, as the
//     reference intends for local peers; not for a container-bridge address
//     (behind docker's userland proxy every peer shares the gateway's
//     address, so sharing it means nothing) nor an unusable one;
//   * otherwise, a public binding address is "visible";
//   * anything else is "hidden": a private, loopback or bridge address
//     means nothing to a peer elsewhere, so it is never published.
// Test mode (loopback tests, LAN deployments) counts every usable address as
// public.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "runtime/io/address_scope.hpp"

namespace skywire::services::address_resolver {

enum class visibility : uint8_t {
  hidden,  ///< not handed out (404 to a resolver, no push)
  visible, ///< handed out as remote_addr
  local,   ///< handed out with is_local and the local addresses
};

const char* to_string(visibility v) noexcept;

struct address_policy {
  bool test_mode = false;

  /// What a peer seen from `viewer` may learn of a binding seen from `bound`.
  visibility visible_to(const boost::asio::ip::address& bound,
                        const boost::asio::ip::address& viewer) const noexcept;

  /// Whether a stcpr bind seen from `observed` may be stored: an IPv4
  /// address (Go dialers join remote_addr + ":" + port) that is public, or
  /// in test mode any usable one. Nullopt when it may; else why not.
  std::optional<std::string> stcpr_refusal(const boost::asio::ip::address& observed) const;
};

} // namespace skywire::services::address_resolver
