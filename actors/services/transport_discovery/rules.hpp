// What the transport discovery checks of a registration before it stores
// anything (the reference checks none of it: it stores what an
// authenticated caller posts, signatures unread; §10.2).
#pragma once

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/transport/entry.hpp"

namespace skywire::services::transport_discovery {

/// One SignedEntry of a POST /transports/ by `caller` (its httpauth key),
/// in this order (the decoder already refused unsorted, equal or null edges,
/// bad type names and labels):
///  1. the caller is one of the two edges                          (403)
///  2. t_id is the ID derived from the edges and the type (§3.7)   (400)
///  3. both signature slots are filled (none is 65 zero bytes)     (400)
///  4. each slot's signature recovers to its edge over
///     SHA-256(uuid || edges[0] || edges[1] || type), the label not
///     included, with Skycoin's rules (low S, recid < 4)           (403)
caf::error check_registration(const wire::transport::signed_entry& se, const public_key& caller);

} // namespace skywire::services::transport_discovery
