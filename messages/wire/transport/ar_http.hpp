// The address resolver's HTTP answers (reference §1.11): the VisorData of
// GET /resolve/{type}/{pk} and the lists of GET /transports. The bind body
// (LocalAddresses) and the sudph control channel are address_resolver.hpp.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "messages/ids.hpp"
#include "messages/wire/transport/address_resolver.hpp"

namespace skywire::wire::transport {

/// addrresolver.VisorData: {"remote_addr":"…","is_local":true,"port":"…",
/// "addresses":[…]} (LocalAddresses embedded, so its fields are inline;
/// is_local omitted when false). For stcpr remote_addr is the binder's bare
/// IP and port its TCP port; for sudph remote_addr is the "ip:port" the AR
/// saw on its UDP side and port the visor's local UDP port.
struct visor_data {
  std::string remote_addr;
  bool is_local = false;
  local_addresses local;
  friend bool operator==(const visor_data&, const visor_data&) = default;
};

/// json.Encoder form (what the AR writes): the object plus "\n".
std::string encode_visor_data(const visor_data& vd);

/// Strict: remote_addr a plausible IP or ip:port text (1..64 bytes), is_local
/// a boolean when present, port and addresses as decode_local_addresses.
expected<visor_data> decode_visor_data(std::string_view text);

inline constexpr size_t max_visor_data_json = 8192;

/// GET /transports: {"sudph":[pk,…],"stcpr":[pk,…]}, a key omitted when its
/// list is empty. Kept as type name -> keys so types a newer AR adds pass
/// through (the Go client folds it into pk -> types).
struct ar_transports {
  std::map<std::string, std::vector<public_key>, std::less<>> by_type;
  friend bool operator==(const ar_transports&, const ar_transports&) = default;
};

/// Keys in the reference's order (sudph, stcpr, then others by name), empty
/// lists omitted, plus "\n".
std::string encode_ar_transports(const ar_transports& t);

/// Strict: an object whose values are arrays (or null) of valid, non-null
/// public keys and whose keys are transport type names; at most max_keys
/// keys in all and max_bytes bytes.
expected<ar_transports> decode_ar_transports(std::string_view text, size_t max_keys = 1'000'000,
                                             size_t max_bytes = 96u << 20);

} // namespace skywire::wire::transport
