// Gob types: the predefined ids, wire type descriptors received from a peer
// (type_table, per connection), and local schemas used to encode values the
// way a Go process would (schema + process_types, which assigns ids in Go's
// order of first use).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "messages/error.hpp"

namespace skywire::wire::gob {

using type_id = int32_t;

/// Predefined type ids (Go's encoding/gob bootstrap types).
namespace builtin {
inline constexpr type_id bool_id = 1;
inline constexpr type_id int_id = 2;
inline constexpr type_id uint_id = 3;
inline constexpr type_id float_id = 4;
inline constexpr type_id bytes_id = 5;
inline constexpr type_id string_id = 6;
inline constexpr type_id complex_id = 7;
inline constexpr type_id interface_id = 8;
inline constexpr type_id wire_type_id = 16;
inline constexpr type_id array_type_id = 17;
inline constexpr type_id common_type_id = 18;
inline constexpr type_id slice_type_id = 19;
inline constexpr type_id struct_type_id = 20;
inline constexpr type_id field_type_id = 21;
inline constexpr type_id field_type_slice_id = 22;
inline constexpr type_id map_type_id = 23;
/// Lowest id a peer may define; Go's first user type gets 65.
inline constexpr type_id first_user_id = 64;
inline constexpr type_id first_assigned_id = 65;
} // namespace builtin

enum class kind : uint8_t {
  boolean,
  int_,
  uint_,
  float_,
  complex_,
  bytes,
  string,
  interface_,
  array,
  slice,
  struct_,
  map,
  gob_encoder,         ///< GobEncoder: opaque byte string
  binary_marshaler,    ///< BinaryMarshaler: opaque byte string
  text_marshaler,      ///< TextMarshaler: opaque byte string
};

const char* to_string(kind k) noexcept;

inline bool is_marshaler(kind k) noexcept {
  return k == kind::gob_encoder || k == kind::binary_marshaler || k == kind::text_marshaler;
}

/// Kind of a predefined id, if it is one of the value types 1..8.
std::optional<kind> builtin_kind(type_id id) noexcept;

struct field_def {
  std::string name;
  type_id id = 0;
};

/// A type as a peer defined it on the wire.
struct wire_type {
  kind k = kind::struct_;
  std::string name;
  type_id id = 0;
  type_id elem = 0;  ///< array, slice, map value
  type_id key = 0;   ///< map key
  int64_t len = 0;   ///< array length
  std::vector<field_def> fields;
};

/// Limits for one connection's decoder.
struct limits {
  size_t max_message = 8u << 20;   ///< bytes in one gob message (Go: 1 GiB)
  size_t max_types = 1024;         ///< type definitions per connection
  size_t max_fields = 1024;        ///< fields in one struct definition
  size_t max_name = 1024;          ///< bytes in a type or field name
  size_t max_depth = 64;           ///< nesting of values (struct in slice in ...)
  size_t max_nodes = 1u << 20;     ///< value nodes produced by one message
  int64_t max_array_len = 1 << 24; ///< declared array length
  type_id max_type_id = 1 << 20;   ///< largest id a peer may define
};

/// The wire types received on one connection (ids >= 64 defined in-stream).
/// Definitions are immutable once received: a duplicate id is an error.
class type_table {
public:
  explicit type_table(const limits& lim = {}) : limits_(lim) {}

  /// Adds a definition (after validating names/sizes against the limits).
  caf::error add(wire_type t);

  /// The definition of a user id, or nullptr.
  const wire_type* find(type_id id) const noexcept;

  size_t size() const noexcept { return types_.size(); }
  const limits& lims() const noexcept { return limits_; }

  /// Index of a struct field by name, or -1.
  static int field_index(const wire_type& t, std::string_view name) noexcept;

private:
  limits limits_;
  std::unordered_map<type_id, wire_type> types_;
};

// ---- local schemas (what the sending Go program's types look like) ---------

struct schema;
using schema_ptr = std::shared_ptr<const schema>;

/// A Go type as the sender knows it. Basic kinds (bool, int, uint, float,
/// string, bytes) map to the predefined ids whatever their Go name (RouteID,
/// time.Duration, routing.Rule are uint, int, bytes on the wire). Composite
/// and marshaler types get ids from a process_types in Go's order.
struct schema {
  kind k = kind::struct_;
  std::string name;  ///< the Go name written into the definition ("PubKey", "[]routing.Hop", "")
  schema_ptr elem;   ///< array, slice, map value
  schema_ptr key;    ///< map key
  int64_t len = 0;   ///< array length
  std::vector<std::pair<std::string, schema_ptr>> fields;

  static schema_ptr boolean();
  static schema_ptr int_();
  static schema_ptr uint_();
  static schema_ptr float_();
  static schema_ptr string();
  static schema_ptr bytes();
  static schema_ptr struct_(std::string name,
                            std::vector<std::pair<std::string, schema_ptr>> fields);
  static schema_ptr slice(std::string name, schema_ptr elem);
  static schema_ptr array(std::string name, schema_ptr elem, int64_t len);
  static schema_ptr map(std::string name, schema_ptr key, schema_ptr elem);
  static schema_ptr binary_marshaler(std::string name);
  static schema_ptr gob_encoder(std::string name);
  static schema_ptr text_marshaler(std::string name);
};

/// Whether a schema kind travels with a predefined id (no definition sent).
bool is_basic(const schema& s) noexcept;

/// Go's process-wide type id allocation: ids are assigned from 65 in order of
/// first use, structs before their fields, slices/arrays/maps after their
/// element (and key) types. Share one instance between all encoders that
/// model one Go process; a fresh instance models a fresh process.
class process_types {
public:
  /// The id of `s`, assigning ids to it and to the types it uses if needed.
  type_id id_of(const schema_ptr& s);

  /// The wire definition of a composite or marshaler schema (after id_of).
  wire_type definition(const schema_ptr& s);

  /// Next id that would be assigned.
  type_id next_id() const noexcept { return next_; }

private:
  type_id assign(const schema_ptr& s);
  std::map<const schema*, type_id> ids_;
  std::vector<schema_ptr> keep_; // keeps registered schemas alive
  type_id next_ = builtin::first_assigned_id;
};

} // namespace skywire::wire::gob
