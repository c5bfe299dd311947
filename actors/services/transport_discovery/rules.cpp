#include "actors/services/transport_discovery/rules.hpp"

#include "actors/services/transport_discovery/errors.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"

namespace skywire::services::transport_discovery {

caf::error check_registration(const wire::transport::signed_entry& se, const public_key& caller) {
  const auto& e = se.entry;
  auto id = e.id.to_string();
  if (!e.edge_index(caller))
    return make_error(tpd_errc::forbidden, "transport " + id + ": the caller " + caller.hex()
                                             + " is not an edge of the transport");
  if (crypto::check_transport_id(e))
    return make_error(tpd_errc::bad_input, std::string{invalid_transport_id} + ": " + id
                                             + " is not the ID of its edges and type");
  for (size_t i = 0; i < 2; ++i)
    if (se.signatures[i].is_null())
      return make_error(tpd_errc::bad_input, "transport " + id
                                               + ": entry is not signed by both edges (edge "
                                               + e.edges[i].hex() + " has not signed)");
  auto bytes = e.to_binary();
  for (size_t i = 0; i < 2; ++i)
    if (crypto::verify(bytes, e.edges[i], se.signatures[i]))
      return make_error(tpd_errc::forged, "transport " + id + ": the signature of edge "
                                            + e.edges[i].hex() + " does not verify");
  return {};
}

} // namespace skywire::services::transport_discovery
