// Strong types for keys, ids and ports. Nothing crosses an interface as a raw
// integer or string. Pure data: no crypto (that is runtime/crypto), no I/O.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "messages/error.hpp"

namespace skywire {

using byte_span = std::span<const uint8_t>;

/// Lowercase hex of arbitrary bytes.
std::string to_hex(byte_span bytes);

/// Parses exactly out.size() bytes of hex (either case). Errors on length or digit.
caf::error from_hex(std::string_view text, std::span<uint8_t> out);

/// Fixed-size byte value with hex text form, ordering and hashing.
template <size_t N, class Tag>
struct fixed_bytes {
  static constexpr size_t size = N;
  std::array<uint8_t, N> bytes{};

  constexpr fixed_bytes() = default;
  explicit constexpr fixed_bytes(const std::array<uint8_t, N>& b) : bytes(b) {}

  bool is_null() const noexcept {
    for (auto b : bytes)
      if (b != 0)
        return false;
    return true;
  }
  const uint8_t* data() const noexcept { return bytes.data(); }
  uint8_t* data() noexcept { return bytes.data(); }
  byte_span span() const noexcept { return {bytes.data(), N}; }
  std::string hex() const { return to_hex(span()); }

  /// Exactly 2*N hex digits.
  static expected<fixed_bytes> from_hex(std::string_view text) {
    fixed_bytes out;
    if (auto err = ::skywire::from_hex(text, out.bytes))
      return err;
    return out;
  }
  static expected<fixed_bytes> from_bytes(byte_span in) {
    if (in.size() != N)
      return make_error(wire_errc::bad_value, "expected " + std::to_string(N)
                                                + " bytes, got " + std::to_string(in.size()));
    fixed_bytes out;
    std::copy(in.begin(), in.end(), out.bytes.begin());
    return out;
  }

  friend auto operator<=>(const fixed_bytes&, const fixed_bytes&) = default;
  friend bool operator==(const fixed_bytes&, const fixed_bytes&) = default;

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, fixed_bytes& x) {
    return f(x.bytes);
  }
};

struct public_key_tag {};
struct signature_tag {};
struct sha256_tag {};

/// 33-byte compressed secp256k1 point; the address of every node.
/// Text form: 66 lowercase hex digits. Any all-'0' text (also empty) is the
/// null key, as in the reference. Whether the point is on the curve is checked
/// by runtime/crypto (crypto::validate), not here.
struct public_key : fixed_bytes<33, public_key_tag> {
  using fixed_bytes::fixed_bytes;
  public_key() = default;
  public_key(const fixed_bytes& b) : fixed_bytes(b) {}
  static expected<public_key> from_hex(std::string_view text);
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, public_key& x) {
    return f(caf::meta::type_name("skywire::public_key"), x.bytes);
  }
};

/// 65-byte recoverable signature: r(32) || s(32) || recid(1).
struct signature : fixed_bytes<65, signature_tag> {
  using fixed_bytes::fixed_bytes;
  signature() = default;
  signature(const fixed_bytes& b) : fixed_bytes(b) {}
  static expected<signature> from_hex(std::string_view text);
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, signature& x) {
    return f(caf::meta::type_name("skywire::signature"), x.bytes);
  }
};

/// A SHA-256 digest.
struct sha256_digest : fixed_bytes<32, sha256_tag> {
  using fixed_bytes::fixed_bytes;
  sha256_digest() = default;
  sha256_digest(const fixed_bytes& b) : fixed_bytes(b) {}
};

/// 32-byte secp256k1 scalar. Never printed by the logger; wiped on
/// destruction. Text form: 64 hex digits (config files only).
class secret_key {
public:
  secret_key() = default;
  explicit secret_key(const std::array<uint8_t, 32>& b) : bytes_(b) {}
  secret_key(const secret_key&) = default;
  secret_key& operator=(const secret_key&) = default;
  ~secret_key();

  static expected<secret_key> from_hex(std::string_view text);
  std::string hex() const { return to_hex(span()); }
  const uint8_t* data() const noexcept { return bytes_.data(); }
  uint8_t* data() noexcept { return bytes_.data(); }
  byte_span span() const noexcept { return {bytes_.data(), 32}; }
  bool is_null() const noexcept;
  friend bool operator==(const secret_key& a, const secret_key& b) noexcept;

private:
  std::array<uint8_t, 32> bytes_{};
};

/// Wipes memory in a way the optimiser cannot drop.
void secure_wipe(void* p, size_t n) noexcept;

/// Transport ID: a 16-byte UUID (text 8-4-4-4-12).
struct transport_id {
  std::array<uint8_t, 16> bytes{};
  std::string to_string() const;
  static expected<transport_id> from_string(std::string_view text);
  bool is_null() const noexcept;
  friend auto operator<=>(const transport_id&, const transport_id&) = default;
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, transport_id& x) {
    return f(caf::meta::type_name("skywire::transport_id"), x.bytes);
  }
};

/// Strongly typed integers.
template <class T, class Tag>
struct strong_int {
  T value = 0;
  constexpr strong_int() = default;
  explicit constexpr strong_int(T v) : value(v) {}
  friend constexpr auto operator<=>(strong_int, strong_int) = default;
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, strong_int& x) {
    return f(x.value);
  }
};

struct route_id_tag {};
struct port_tag {};
struct hops_tag {};

/// Routing rule / route identifier (uint32 on the wire).
using route_id = strong_int<uint32_t, route_id_tag>;
/// A 16-bit virtual port (dmsg port or routing port).
using port = strong_int<uint16_t, port_tag>;
/// Hop count.
using hops = strong_int<uint16_t, hops_tag>;

/// pk:port — a dmsg or routing address.
struct address {
  public_key pk;
  port prt;
  std::string to_string() const; ///< "pk:port", "pk:~" when port is 0
  friend auto operator<=>(const address&, const address&) = default;
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, address& x) {
    return f(caf::meta::type_name("skywire::address"), x.pk, x.prt.value);
  }
};

} // namespace skywire

template <size_t N, class Tag>
struct std::hash<skywire::fixed_bytes<N, Tag>> {
  size_t operator()(const skywire::fixed_bytes<N, Tag>& x) const noexcept {
    size_t h = 1469598103934665603ull;
    for (auto b : x.bytes)
      h = (h ^ b) * 1099511628211ull;
    return h;
  }
};
template <>
struct std::hash<skywire::public_key> : std::hash<skywire::fixed_bytes<33, skywire::public_key_tag>> {};
template <>
struct std::hash<skywire::transport_id> {
  size_t operator()(const skywire::transport_id& x) const noexcept {
    size_t h = 0;
    for (auto b : x.bytes)
      h = h * 131 + b;
    return h;
  }
};
