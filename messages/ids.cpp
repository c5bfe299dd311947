#include "messages/ids.hpp"

#include <algorithm>

#include "messages/wire/percent.hpp"

namespace skywire {

namespace {

bool all_zero_chars(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

} // namespace

std::string to_hex(byte_span bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
  return out;
}

caf::error from_hex(std::string_view text, std::span<uint8_t> out) {
  if (text.size() != out.size() * 2)
    return make_error(wire_errc::bad_value, "expected " + std::to_string(out.size() * 2)
                                              + " hex digits, got "
                                              + std::to_string(text.size()));
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = wire::hex_digit(text[2 * i]);
    int lo = wire::hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return make_error(wire_errc::malformed, "invalid hex digit at offset "
                                                + std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return {};
}

expected<public_key> public_key::from_hex(std::string_view text) {
  if (all_zero_chars(text))
    return public_key{};
  public_key out;
  if (auto err = ::skywire::from_hex(text, out.bytes))
    return err;
  if (out.bytes[0] != 0x02 && out.bytes[0] != 0x03)
    return make_error(wire_errc::bad_value, "public key must start with 02 or 03");
  return out;
}

expected<signature> signature::from_hex(std::string_view text) {
  if (all_zero_chars(text))
    return signature{};
  signature out;
  if (auto err = ::skywire::from_hex(text, out.bytes))
    return err;
  return out;
}

void secure_wipe(void* p, size_t n) noexcept {
  volatile uint8_t* v = static_cast<volatile uint8_t*>(p);
  while (n--)
    *v++ = 0;
}

secret_key::~secret_key() {
  secure_wipe(bytes_.data(), bytes_.size());
}

expected<secret_key> secret_key::from_hex(std::string_view text) {
  secret_key out;
  if (auto err = ::skywire::from_hex(text, out.bytes_))
    return err;
  return out;
}

bool secret_key::is_null() const noexcept {
  uint8_t acc = 0;
  for (auto b : bytes_)
    acc |= b;
  return acc == 0;
}

bool operator==(const secret_key& a, const secret_key& b) noexcept {
  uint8_t acc = 0;
  for (size_t i = 0; i < 32; ++i)
    acc |= a.bytes_[i] ^ b.bytes_[i];
  return acc == 0;
}

std::string transport_id::to_string() const {
  auto h = to_hex({bytes.data(), bytes.size()});
  return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4)
         + '-' + h.substr(20, 12);
}

expected<transport_id> transport_id::from_string(std::string_view text) {
  std::string compact;
  if (text.size() == 36) {
    if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
      return make_error(wire_errc::malformed, "transport id: bad UUID dashes");
    for (size_t i = 0; i < text.size(); ++i)
      if (i != 8 && i != 13 && i != 18 && i != 23)
        compact.push_back(text[i]);
  } else if (text.size() == 32) {
    compact.assign(text);
  } else {
    return make_error(wire_errc::malformed, "transport id: expected a 36-character UUID");
  }
  transport_id out;
  if (auto err = ::skywire::from_hex(compact, out.bytes))
    return err;
  return out;
}

bool transport_id::is_null() const noexcept {
  for (auto b : bytes)
    if (b)
      return false;
  return true;
}

std::string address::to_string() const {
  return pk.hex() + ':' + (prt.value == 0 ? std::string{"~"} : std::to_string(prt.value));
}

} // namespace skywire
