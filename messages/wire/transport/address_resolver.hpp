// The address resolver's messages (reference §1.11, §3.5, §3.6), shared by
// the service and the visor's client: the LocalAddresses bind body (HTTP
// POST /bind/stcpr and the sudph KCP bind message), the resolve answer
// (VisorData), the /transports body, the sudph control-channel literals and
// messages, and the AR push message.
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

/// addrresolver.VisorData, the answer to GET /resolve/{type}/{pk}:
/// {"remote_addr":"..","is_local":true,"port":"..","addresses":[..]}
/// (is_local omitted when false; addresses null when empty). For stcpr
/// remote_addr is the binder's bare IP, for sudph the "ip:port" the address
/// resolver saw on its UDP side.
struct visor_data {
  std::string remote_addr;
  bool is_local = false;
  local_addresses local;
  friend bool operator==(const visor_data&, const visor_data&) = default;
};

/// json.Marshal form (what the address resolver writes, no newline).
std::string encode_visor_data(const visor_data& v);
/// Strict as decode_local_addresses; remote_addr a plausible IP or ip:port
/// (empty allowed, as Go's zero value), is_local optional.
expected<visor_data> decode_visor_data(std::string_view text);
/// The largest VisorData answer a client reads.
inline constexpr size_t max_visor_data_json = 8192;

/// The body of GET /transports: {"sudph":[pk..],"stcpr":[pk..]}, each list
/// omitted when empty (Go's omitempty).
struct ar_transports {
  std::vector<public_key> sudph;
  std::vector<public_key> stcpr;
  friend bool operator==(const ar_transports&, const ar_transports&) = default;
};

std::string encode_ar_transports(const ar_transports& t);
/// Lists of up to max_keys keys each; a list may be absent or null.
expected<ar_transports> decode_ar_transports(std::string_view text, size_t max_keys = 1'000'000);

/// One message the address resolver reads on a bound sudph control channel
/// (one KCP message each): the heartbeat, the unbind, or a new bind (newer
/// visors re-send their LocalAddresses on the channel to refresh it).
struct ar_channel_message {
  enum class kind : uint8_t { heartbeat, unbind, bind };
  kind k = kind::heartbeat;
  local_addresses bind; ///< kind::bind only
};

/// Errors: bad_value for anything else (the reference ignores such
/// messages; the caller decides), with decode_local_addresses's errors
/// when the text starts with '{'.
expected<ar_channel_message> decode_ar_channel_message(std::string_view text);

} // namespace skywire::wire::transport
