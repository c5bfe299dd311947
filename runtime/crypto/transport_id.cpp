#include "runtime/crypto/transport_id.hpp"

#include <algorithm>

#include "runtime/crypto/hash.hpp"

namespace skywire::crypto {

transport_id make_transport_id(const public_key& a, const public_key& b, std::string_view type) {
  static constexpr std::array<uint8_t, 16> nil_namespace{};
  auto edges = wire::transport::sort_edges(a, b);
  auto h = sha256({byte_span{nil_namespace}, edges[0].span(), edges[1].span(),
                   byte_span{reinterpret_cast<const uint8_t*>(type.data()), type.size()}});
  transport_id id;
  std::copy(h.bytes.begin(), h.bytes.begin() + 16, id.bytes.begin());
  id.bytes[6] = static_cast<uint8_t>(id.bytes[6] & 0x0f);
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3f) | 0x80);
  return id;
}

wire::transport::entry make_transport_entry(const public_key& a, const public_key& b,
                                            std::string_view type,
                                            wire::transport::transport_label label) {
  return wire::transport::make_entry(make_transport_id(a, b, type), a, b, type, label);
}

caf::error check_transport_id(const wire::transport::entry& e) {
  if (make_transport_id(e.edges[0], e.edges[1], e.type) != e.id)
    return skywire::make_error(wire_errc::bad_value, "transport id does not match edges and type");
  return {};
}

} // namespace skywire::crypto
