// A generic gob value tree: what the decoder produces from wire types, and
// what the encoder writes against a schema.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/wire/gob/types.hpp"

namespace skywire::wire::gob {

struct value {
  /// `none` is an absent (zero) struct field or nil map; accessors read it as zero.
  enum class tag : uint8_t {
    none,
    boolean,
    int_,
    uint_,
    float_,
    complex_,
    bytes,     ///< []byte, string and marshaled values keep their bytes here
    string,
    marshaled,
    struct_,   ///< items[i] = field i (by the wire type's field order)
    slice,
    array,
    map,       ///< items = key0, value0, key1, value1, ...
    nil_interface,
  };

  tag t = tag::none;
  type_id type = 0;       ///< wire type id (set by the decoder)
  uint64_t u = 0;         ///< bool (0/1), uint
  int64_t i = 0;          ///< int
  double f = 0, f2 = 0;   ///< float; complex = (f, f2)
  std::vector<uint8_t> data;
  std::vector<value> items;

  // ---- builders (for encoding) ----
  static value of_bool(bool b) { value v; v.t = tag::boolean; v.u = b ? 1 : 0; return v; }
  static value of_int(int64_t x) { value v; v.t = tag::int_; v.i = x; return v; }
  static value of_uint(uint64_t x) { value v; v.t = tag::uint_; v.u = x; return v; }
  static value of_float(double x) { value v; v.t = tag::float_; v.f = x; return v; }
  static value of_bytes(std::vector<uint8_t> b) {
    value v; v.t = tag::bytes; v.data = std::move(b); return v;
  }
  static value of_bytes(const uint8_t* p, size_t n) { return of_bytes(std::vector<uint8_t>(p, p + n)); }
  static value of_string(std::string_view s) {
    value v; v.t = tag::string; v.data.assign(s.begin(), s.end()); return v;
  }
  static value of_marshaled(std::vector<uint8_t> b) {
    value v; v.t = tag::marshaled; v.data = std::move(b); return v;
  }
  static value of_struct(std::vector<value> fields) {
    value v; v.t = tag::struct_; v.items = std::move(fields); return v;
  }
  static value of_slice(std::vector<value> elems) {
    value v; v.t = tag::slice; v.items = std::move(elems); return v;
  }
  static value of_array(std::vector<value> elems) {
    value v; v.t = tag::array; v.items = std::move(elems); return v;
  }
  /// Array of unsigned ints, one per byte (how gob sends [N]byte without a marshaler).
  static value of_byte_array(const uint8_t* p, size_t n);
  static value of_map(std::vector<value> kv) {
    value v; v.t = tag::map; v.items = std::move(kv); return v;
  }

  // ---- readers (absent reads as zero) ----
  bool is_none() const noexcept { return t == tag::none; }
  bool as_bool() const noexcept { return u != 0; }
  uint64_t as_uint() const noexcept { return u; }
  int64_t as_int() const noexcept { return i; }
  std::string as_string() const { return std::string(data.begin(), data.end()); }
  /// The bytes of a gob array of uints (each element must be <= 255), or of
  /// a byte string / marshaled value. Empty on mismatch.
  bool byte_array(std::vector<uint8_t>& out) const;

  /// Field `idx` of a struct value, or a static none value when absent.
  const value& field(size_t idx) const noexcept;

  friend bool operator==(const value& a, const value& b) noexcept;
};

/// "tag" name for messages.
const char* to_string(value::tag t) noexcept;

/// Renders a value tree for logs/tests: {Name: "x", Seq: 1, Data: 0x0102, ...}.
/// Field names come from the table when given.
std::string to_string(const value& v, const type_table* table = nullptr);

/// Struct field lookup by Go field name through the connection's type table.
/// Returns nullptr when v is not a struct of a known type or has no such field.
const value* find_field(const type_table& table, const value& v, std::string_view name);

} // namespace skywire::wire::gob
