// Strict, bounded reading of JSON objects with Boost.JSON, shared by the
// routing, transport and httpauth codecs. Stricter than Go's encoding/json:
// the input size and depth are bounded, field names match exactly (Go matches
// them case-insensitively), required fields must be present, `null` is not a
// value, integers must be integers (no 1.0, no 1e2) and in range.
// Unknown fields are ignored, as Go does, so newer peers stay readable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "messages/error.hpp"
#include "messages/ids.hpp"

namespace skywire::wire::transport {

/// Parses exactly one JSON value from text (surrounding whitespace allowed,
/// nothing else). Errors: oversized when text exceeds max_bytes or nests
/// deeper than max_depth, malformed on any syntax error or invalid UTF-8.
expected<boost::json::value> parse_json(std::string_view text, size_t max_bytes,
                                        size_t max_depth = 8);

/// Typed access to the fields of one JSON object; `what` names the object
/// in error texts ("Frame2.SrcAddr").
class object_reader {
public:
  object_reader(const boost::json::object& obj, std::string what)
    : obj_(obj), what_(std::move(what)) {}

  /// Wraps a value that must be an object.
  static expected<object_reader> from(const boost::json::value& v, std::string what);

  bool has(std::string_view key) const;

  caf::error get_string(std::string_view key, std::string& out, size_t max_len) const;
  caf::error get_uint(std::string_view key, uint64_t max, uint64_t& out) const;
  caf::error get_int(std::string_view key, int64_t& out) const;
  caf::error get_bool(std::string_view key, bool& out) const;
  caf::error get_public_key(std::string_view key, public_key& out) const;
  caf::error get_signature(std::string_view key, signature& out) const;
  caf::error get_transport_id(std::string_view key, transport_id& out) const;
  caf::error get_object(std::string_view key, const boost::json::object*& out) const;
  caf::error get_array(std::string_view key, const boost::json::array*& out,
                       size_t max_count) const;

  /// Error with this object's name and a field name in the context.
  caf::error fail(wire_errc code, std::string_view key, std::string_view why) const;

  const std::string& what() const noexcept { return what_; }

private:
  expected<const boost::json::value*> field(std::string_view key) const;
  const boost::json::object& obj_;
  std::string what_;
};

/// Reads an element of a JSON array as an unsigned integer <= max.
caf::error json_uint(const boost::json::value& v, uint64_t max, uint64_t& out);

/// Reads a string value of at most max_len bytes.
caf::error json_string(const boost::json::value& v, size_t max_len, std::string_view& out);

/// Parses a canonical 36-character UUID (8-4-4-4-12, either case).
expected<transport_id> parse_uuid36(std::string_view text);

} // namespace skywire::wire::transport
