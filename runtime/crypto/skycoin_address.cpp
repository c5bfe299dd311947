#include "runtime/crypto/skycoin_address.hpp"

#include <array>
#include <cstdint>
#include <vector>

#include "runtime/crypto/hash.hpp"

namespace skywire::crypto {

namespace {

constexpr std::string_view alphabet =
  "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

} // namespace

caf::error check_skycoin_address(std::string_view text) {
  if (text.empty() || text.size() > 40)
    return make_error(wire_errc::bad_value, "a skycoin address has 25 to 40 characters");
  // base58 to bytes (big-endian), leading '1's are zero bytes
  std::vector<uint8_t> num; // little-endian while building
  for (char c : text) {
    auto d = alphabet.find(c);
    if (d == std::string_view::npos)
      return make_error(wire_errc::malformed, "not base58: " + std::string{text});
    uint32_t carry = static_cast<uint32_t>(d);
    for (auto& b : num) {
      carry += static_cast<uint32_t>(b) * 58;
      b = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      num.push_back(static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1')
    ++zeros;
  std::vector<uint8_t> bytes(zeros, 0);
  bytes.insert(bytes.end(), num.rbegin(), num.rend());
  if (bytes.size() != 25)
    return make_error(wire_errc::bad_value, "a skycoin address is 25 bytes");
  if (bytes[20] != 0)
    return make_error(wire_errc::bad_value, "unknown skycoin address version");
  auto sum = sha256(byte_span{bytes.data(), 21});
  for (size_t i = 0; i < 4; ++i)
    if (sum.bytes[i] != bytes[21 + i])
      return make_error(wire_errc::bad_value, "bad skycoin address checksum");
  return {};
}

} // namespace skywire::crypto
