#include "messages/wire/routing/route_descriptor.hpp"

#include <algorithm>

namespace skywire::wire::routing {

void route_descriptor::encode(std::array<uint8_t, route_descriptor_size>& out) const {
  std::copy(src_pk.bytes.begin(), src_pk.bytes.end(), out.begin());
  std::copy(dst_pk.bytes.begin(), dst_pk.bytes.end(), out.begin() + 33);
  out[66] = static_cast<uint8_t>(src_port.value >> 8);
  out[67] = static_cast<uint8_t>(src_port.value);
  out[68] = static_cast<uint8_t>(dst_port.value >> 8);
  out[69] = static_cast<uint8_t>(dst_port.value);
}

std::array<uint8_t, route_descriptor_size> route_descriptor::bytes() const {
  std::array<uint8_t, route_descriptor_size> out{};
  encode(out);
  return out;
}

void route_descriptor::encode(std::vector<uint8_t>& out) const {
  auto b = bytes();
  out.insert(out.end(), b.begin(), b.end());
}

expected<route_descriptor> route_descriptor::decode(byte_span in) {
  if (in.size() < route_descriptor_size)
    return make_error(wire_errc::truncated, "route descriptor: need 70 bytes, got "
                                              + std::to_string(in.size()));
  if (in.size() > route_descriptor_size)
    return make_error(wire_errc::malformed, "route descriptor: need 70 bytes, got "
                                              + std::to_string(in.size()));
  route_descriptor d;
  std::copy(in.begin(), in.begin() + 33, d.src_pk.bytes.begin());
  std::copy(in.begin() + 33, in.begin() + 66, d.dst_pk.bytes.begin());
  // Same acceptance as the text form: a compressed-point prefix or the null key.
  for (const auto* pk : {&d.src_pk, &d.dst_pk})
    if (!pk->is_null() && pk->bytes[0] != 0x02 && pk->bytes[0] != 0x03)
      return make_error(wire_errc::bad_value, "route descriptor: public key must start "
                                                "with 02 or 03");
  d.src_port = port{static_cast<uint16_t>(in[66] << 8 | in[67])};
  d.dst_port = port{static_cast<uint16_t>(in[68] << 8 | in[69])};
  return d;
}

std::string route_descriptor::to_string() const {
  std::string out = "rAddr:";
  out += dst_pk.hex();
  out += ':';
  out += std::to_string(dst_port.value);
  out += ", lAddr:";
  out += src_pk.hex();
  out += ':';
  out += std::to_string(src_port.value);
  return out;
}

} // namespace skywire::wire::routing
