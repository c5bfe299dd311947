// The address resolver's messages (reference §3.5, §3.6): the LocalAddresses
// bind body (HTTP POST /bind/stcpr and the sudph KCP bind message), the
// sudph control-channel literals and the AR push message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/ids.hpp"

namespace skywire::wire::transport {

/// UDP port of the AR's sudph control channel when its URL names none.
inline constexpr uint16_t default_ar_udp_port = 30178;

/// Control-channel literals (sent as one KCP message each).
inline constexpr std::string_view ar_heartbeat = "heartbeat"; ///< every 10 s
inline constexpr std::string_view ar_unbind = "delBind";      ///< on shutdown
/// The 9-byte UDP datagram that opens a NAT mapping toward a peer.
inline constexpr std::string_view holepunch_datagram = "holepunch";

inline constexpr size_t max_local_addresses = 64;
inline constexpr size_t max_address_text = 64;
inline constexpr size_t max_local_addresses_json = 8192;

/// addrresolver.LocalAddresses: {"port":"<decimal>","addresses":[..]}.
struct local_addresses {
  skywire::port prt;
  std::vector<std::string> addresses; ///< IP literals
  friend bool operator==(const local_addresses&, const local_addresses&) = default;
};

/// json.Marshal form (the sudph bind message, no newline). An empty list is
/// written as null, as Go writes a nil slice.
std::string encode_local_addresses(const local_addresses& la);
/// json.Encoder form (the HTTP POST /bind/stcpr body): the same plus "\n".
std::string encode_local_addresses_line(const local_addresses& la);

/// Strict: port a decimal string 0..65535 without sign or leading zeros,
/// addresses an array (or null) of at most 64 strings of [0-9a-fA-F.:%]
/// up to 64 bytes each.
expected<local_addresses> decode_local_addresses(std::string_view text);

/// addrresolver.RemoteVisor, pushed by the AR: {"PK":"<pk>","Addr":"<ip:port>"}.
struct ar_push {
  public_key pk;
  std::string addr;
  friend bool operator==(const ar_push&, const ar_push&) = default;
};

std::string encode_ar_push(const ar_push& m);
expected<ar_push> decode_ar_push(std::string_view text);

/// Whether text is a plausible IP literal or ip:port (charset and length only).
bool plausible_ip_text(std::string_view text) noexcept;

} // namespace skywire::wire::transport
