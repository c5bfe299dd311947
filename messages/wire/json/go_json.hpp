// Byte-exact reproduction of Go's encoding/json output for the values Skywire
// signs or compares as bytes (compact form, struct field order as written by
// the caller). Parsing uses Boost.JSON; only encoding must match Go byte for
// byte, because signatures cover the encoded bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace skywire::wire::json {

/// Appends a JSON string literal exactly as Go's json.Marshal writes it
/// (HTML-safe escaping of <, > and &, \u2028/\u2029 escaped, invalid UTF-8
/// replaced by \ufffd).
void append_string(std::string& out, std::string_view s);

/// Appends a decimal integer.
void append_int(std::string& out, int64_t v);
void append_uint(std::string& out, uint64_t v);

/// Appends a finite float64 as Go's json.Marshal writes it: the shortest text
/// that reads back to the same value, in plain decimal when
/// 1e-6 <= |v| < 1e21 (or v is 0), else in exponent form with at least two
/// exponent digits dropped to what is needed ("1e-07" -> "1e-7"). The caller
/// keeps NaN and infinities out (Go refuses to encode them).
void append_float(std::string& out, double v);

/// Appends a fixed-size byte array as Go encodes [N]byte: an array of numbers.
void append_byte_array(std::string& out, std::span<const uint8_t> bytes);

/// Streaming writer for one compact JSON object/array, with commas handled.
class writer {
public:
  explicit writer(std::string& out) : out_(out) {}
  writer& begin_object();
  writer& end_object();
  writer& begin_array();
  writer& end_array();
  writer& key(std::string_view k);
  writer& string(std::string_view s);
  writer& integer(int64_t v);
  writer& uinteger(uint64_t v);
  writer& number(double v); ///< a finite float64, as append_float
  writer& boolean(bool v);
  writer& null();
  writer& raw(std::string_view json); ///< an already-encoded value
  writer& byte_array(std::span<const uint8_t> bytes);

private:
  void sep();
  std::string& out_;
  bool need_comma_ = false;
};

} // namespace skywire::wire::json
