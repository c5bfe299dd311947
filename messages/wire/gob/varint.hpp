// Go encoding/gob integers: unsigned ints < 128 are one byte; otherwise the
// negated byte count (0xff = 1 byte ... 0xf8 = 8 bytes) followed by the
// big-endian bytes. Signed ints are folded: n >= 0 -> 2n, n < 0 -> 2(^n)+1.
// Floats are the byte-reversed IEEE-754 bits sent as an unsigned int.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "messages/error.hpp"

namespace skywire::wire::gob {

using byte_span = std::span<const uint8_t>;

inline void put_uint(std::vector<uint8_t>& out, uint64_t x) {
  if (x < 0x80) {
    out.push_back(static_cast<uint8_t>(x));
    return;
  }
  uint8_t tmp[8];
  int n = 0;
  while (x != 0) {
    tmp[7 - n] = static_cast<uint8_t>(x);
    x >>= 8;
    ++n;
  }
  out.push_back(static_cast<uint8_t>(256 - n));
  out.insert(out.end(), tmp + (8 - n), tmp + 8);
}

inline uint64_t fold_int(int64_t i) noexcept {
  auto u = static_cast<uint64_t>(i);
  return i < 0 ? ((~u) << 1) | 1u : u << 1;
}

inline int64_t unfold_int(uint64_t u) noexcept {
  return (u & 1) ? static_cast<int64_t>(~(u >> 1)) : static_cast<int64_t>(u >> 1);
}

inline void put_int(std::vector<uint8_t>& out, int64_t i) {
  put_uint(out, fold_int(i));
}

inline uint64_t float_to_wire(double f) noexcept {
  uint64_t bits = std::bit_cast<uint64_t>(f);
  uint64_t rev = 0;
  for (int k = 0; k < 8; ++k) {
    rev = (rev << 8) | (bits & 0xff);
    bits >>= 8;
  }
  return rev;
}

inline double float_from_wire(uint64_t rev) noexcept {
  uint64_t bits = 0;
  for (int k = 0; k < 8; ++k) {
    bits = (bits << 8) | (rev & 0xff);
    rev >>= 8;
  }
  return std::bit_cast<double>(bits);
}

inline void put_bytes(std::vector<uint8_t>& out, byte_span b) {
  put_uint(out, b.size());
  out.insert(out.end(), b.begin(), b.end());
}

/// Bounds-checked cursor over one gob message. Every read checks what is
/// left; errors are values.
class reader {
public:
  explicit reader(byte_span in) : in_(in) {}

  size_t remaining() const noexcept { return in_.size() - pos_; }
  bool empty() const noexcept { return pos_ == in_.size(); }
  size_t position() const noexcept { return pos_; }

  expected<uint64_t> read_uint() {
    if (empty())
      return make_error(wire_errc::truncated, "gob: unexpected end reading uint");
    uint8_t b = in_[pos_++];
    if (b < 0x80)
      return uint64_t{b};
    size_t n = 256u - b;
    if (n > 8)
      return make_error(wire_errc::malformed, "gob: encoded unsigned integer out of range");
    if (remaining() < n)
      return make_error(wire_errc::truncated, "gob: unexpected end reading uint");
    uint64_t x = 0;
    for (size_t k = 0; k < n; ++k)
      x = (x << 8) | in_[pos_++];
    return x;
  }

  expected<int64_t> read_int() {
    auto u = read_uint();
    if (!u)
      return std::move(u.error());
    return unfold_int(*u);
  }

  /// A length that must fit in what is left of the message.
  expected<size_t> read_length(const char* what) {
    auto u = read_uint();
    if (!u)
      return std::move(u.error());
    if (*u > remaining())
      return make_error(wire_errc::truncated, std::string("gob: ") + what + " length "
                                                + std::to_string(*u) + " exceeds message");
    return static_cast<size_t>(*u);
  }

  expected<byte_span> read_span(size_t n) {
    if (n > remaining())
      return make_error(wire_errc::truncated, "gob: unexpected end of data");
    auto out = in_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

private:
  byte_span in_;
  size_t pos_ = 0;
};

} // namespace skywire::wire::gob
