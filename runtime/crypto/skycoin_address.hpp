// A Skycoin address as `skywire cli reward` takes it (reference §6.5): base58
// of 25 bytes, ripemd160 key (20) | version (1, must be 0) | checksum (4, the
// first bytes of sha256(key | version)).
#pragma once

#include <string_view>

#include "messages/error.hpp"

namespace skywire::crypto {

/// none: a valid address; else why not (bad base58, length, version, checksum).
caf::error check_skycoin_address(std::string_view text);

} // namespace skywire::crypto
