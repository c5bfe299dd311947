// Deterministic transport IDs (reference §3.7):
//   edges = sort(a, b)
//   h     = SHA-256(16 zero bytes || edges[0] || edges[1] || ascii(type))
//   id    = h[0:16] with version nibble 0 (id[6] &= 0x0f) and the RFC 4122
//           variant (id[8] = id[8] & 0x3f | 0x80)
#pragma once

#include <string_view>

#include "messages/ids.hpp"
#include "messages/wire/transport/entry.hpp"

namespace skywire::crypto {

transport_id make_transport_id(const public_key& a, const public_key& b, std::string_view type);

/// The entry both ends of a transport compute (edges sorted, derived id).
wire::transport::entry make_transport_entry(const public_key& a, const public_key& b,
                                            std::string_view type,
                                            wire::transport::transport_label label
                                            = wire::transport::transport_label::user);

/// Errors (bad_value) if e.id is not the id derived from e's edges and type.
caf::error check_transport_id(const wire::transport::entry& e);

} // namespace skywire::crypto
