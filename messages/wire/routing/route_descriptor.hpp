// Route descriptor: one direction of a route connection (reference §4.1).
//   srcPK[33] | dstPK[33] | srcPort u16 BE | dstPort u16 BE   = 70 bytes
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "messages/ids.hpp"

namespace skywire::wire::routing {

inline constexpr size_t route_descriptor_size = 70;

struct route_descriptor {
  public_key src_pk;
  public_key dst_pk;
  port src_port;
  port dst_port;

  address src() const { return {src_pk, src_port}; }
  address dst() const { return {dst_pk, dst_port}; }

  /// The descriptor of the opposite direction (src and dst swapped).
  route_descriptor inverted() const { return {dst_pk, src_pk, dst_port, src_port}; }

  /// Appends the 70 bytes.
  void encode(std::vector<uint8_t>& out) const;
  void encode(std::array<uint8_t, route_descriptor_size>& out) const;
  std::array<uint8_t, route_descriptor_size> bytes() const;

  /// Exactly 70 bytes; each key is null or starts with 02/03 (the curve
  /// check is crypto's, in runtime).
  static expected<route_descriptor> decode(byte_span in);

  /// The reference's log form: "rAddr:<dst pk>:<dst port>, lAddr:<src pk>:<src port>"
  /// (the reference labels dst as rAddr and src as lAddr whatever the holder's side).
  std::string to_string() const;

  friend bool operator==(const route_descriptor&, const route_descriptor&) = default;
  friend auto operator<=>(const route_descriptor&, const route_descriptor&) = default;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, route_descriptor& x) {
    return f(caf::meta::type_name("skywire::wire::routing::route_descriptor"), x.src_pk,
             x.dst_pk, x.src_port.value, x.dst_port.value);
  }
};

} // namespace skywire::wire::routing
