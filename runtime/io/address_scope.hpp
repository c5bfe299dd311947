// Where an IP address can be reached from: the scope classes the address
// resolver's policy (docs/protocol/address-resolver.md) and the visor's
// "do I have a public address" test are written in. No Skywire policy here,
// only the IANA special-purpose registries reduced to five classes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace skywire::io {

enum class address_scope : uint8_t {
  /// Routable on the internet (documentation ranges such as 192.0.2.0/24
  /// and 2001:db8::/32 count as public: tests use them to model it).
  public_,
  /// Reachable inside one site only: RFC 1918 (but 172.17.0.0/16), CGNAT
  /// 100.64.0.0/10, link-local 169.254.0.0/16 and fe80::/10, IETF protocol
  /// assignments 192.0.0.0/24, benchmarking 198.18.0.0/15, unique local
  /// fc00::/7, site-local fec0::/10.
  private_,
  /// Docker's default bridge network, 172.17.0.0/16: a peer seen from it is
  /// a container on this host, or anything docker's userland proxy
  /// forwarded (which then hides the real source).
  container_bridge,
  /// 127.0.0.0/8, ::1: this host.
  loopback,
  /// No unicast peer has it: 0.0.0.0/8, multicast, 240.0.0.0/4 (broadcast
  /// included), ::, ff00::/8.
  unusable,
};

const char* to_string(address_scope s) noexcept;

/// The scope of an address; an IPv4-mapped IPv6 address is classified as
/// its IPv4 address.
address_scope classify(const boost::asio::ip::address& addr) noexcept;

/// An IPv4-mapped IPv6 address as IPv4; any other unchanged.
boost::asio::ip::address unmapped(const boost::asio::ip::address& addr) noexcept;

/// The IP of "ip", "ip:port", "[v6]:port" or "[v6]" (IPv4-mapped unmapped);
/// nullopt for anything else.
std::optional<boost::asio::ip::address> parse_host(std::string_view text) noexcept;

} // namespace skywire::io
