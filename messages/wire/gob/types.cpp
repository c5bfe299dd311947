#include "messages/wire/gob/types.hpp"

namespace skywire::wire::gob {

const char* to_string(kind k) noexcept {
  switch (k) {
    case kind::boolean: return "bool";
    case kind::int_: return "int";
    case kind::uint_: return "uint";
    case kind::float_: return "float";
    case kind::complex_: return "complex";
    case kind::bytes: return "bytes";
    case kind::string: return "string";
    case kind::interface_: return "interface";
    case kind::array: return "array";
    case kind::slice: return "slice";
    case kind::struct_: return "struct";
    case kind::map: return "map";
    case kind::gob_encoder: return "GobEncoder";
    case kind::binary_marshaler: return "BinaryMarshaler";
    case kind::text_marshaler: return "TextMarshaler";
  }
  return "unknown";
}

std::optional<kind> builtin_kind(type_id id) noexcept {
  switch (id) {
    case builtin::bool_id: return kind::boolean;
    case builtin::int_id: return kind::int_;
    case builtin::uint_id: return kind::uint_;
    case builtin::float_id: return kind::float_;
    case builtin::bytes_id: return kind::bytes;
    case builtin::string_id: return kind::string;
    case builtin::complex_id: return kind::complex_;
    case builtin::interface_id: return kind::interface_;
    default: return std::nullopt;
  }
}

caf::error type_table::add(wire_type t) {
  if (t.id < builtin::first_user_id || t.id > limits_.max_type_id)
    return make_error(wire_errc::bad_value, "gob: type id " + std::to_string(t.id)
                                              + " out of range for a definition");
  if (types_.size() >= limits_.max_types)
    return make_error(wire_errc::oversized, "gob: too many type definitions on this connection");
  if (types_.count(t.id) != 0)
    return make_error(wire_errc::bad_value, "gob: duplicate type received");
  if (t.name.size() > limits_.max_name)
    return make_error(wire_errc::oversized, "gob: type name too long");
  if (t.fields.size() > limits_.max_fields)
    return make_error(wire_errc::oversized, "gob: too many fields");
  for (auto& f : t.fields)
    if (f.name.size() > limits_.max_name)
      return make_error(wire_errc::oversized, "gob: field name too long");
  if (t.k == kind::array && (t.len < 0 || t.len > limits_.max_array_len))
    return make_error(wire_errc::oversized, "gob: array length out of range");
  types_.emplace(t.id, std::move(t));
  return {};
}

const wire_type* type_table::find(type_id id) const noexcept {
  auto i = types_.find(id);
  return i == types_.end() ? nullptr : &i->second;
}

int type_table::field_index(const wire_type& t, std::string_view name) noexcept {
  for (size_t i = 0; i < t.fields.size(); ++i)
    if (t.fields[i].name == name)
      return static_cast<int>(i);
  return -1;
}

// ---- schemas ------------------------------------------------------------------

namespace {

schema_ptr make_basic(kind k) {
  auto s = std::make_shared<schema>();
  s->k = k;
  return s;
}

schema_ptr make_marshaler(kind k, std::string name) {
  auto s = std::make_shared<schema>();
  s->k = k;
  s->name = std::move(name);
  return s;
}

type_id basic_id(kind k) noexcept {
  switch (k) {
    case kind::boolean: return builtin::bool_id;
    case kind::int_: return builtin::int_id;
    case kind::uint_: return builtin::uint_id;
    case kind::float_: return builtin::float_id;
    case kind::bytes: return builtin::bytes_id;
    case kind::string: return builtin::string_id;
    case kind::complex_: return builtin::complex_id;
    case kind::interface_: return builtin::interface_id;
    default: return 0;
  }
}

} // namespace

schema_ptr schema::boolean() { static auto s = make_basic(kind::boolean); return s; }
schema_ptr schema::int_() { static auto s = make_basic(kind::int_); return s; }
schema_ptr schema::uint_() { static auto s = make_basic(kind::uint_); return s; }
schema_ptr schema::float_() { static auto s = make_basic(kind::float_); return s; }
schema_ptr schema::string() { static auto s = make_basic(kind::string); return s; }
schema_ptr schema::bytes() { static auto s = make_basic(kind::bytes); return s; }

schema_ptr schema::struct_(std::string name,
                           std::vector<std::pair<std::string, schema_ptr>> fields) {
  auto s = std::make_shared<schema>();
  s->k = kind::struct_;
  s->name = std::move(name);
  s->fields = std::move(fields);
  return s;
}

schema_ptr schema::slice(std::string name, schema_ptr elem) {
  auto s = std::make_shared<schema>();
  s->k = kind::slice;
  s->name = std::move(name);
  s->elem = std::move(elem);
  return s;
}

schema_ptr schema::array(std::string name, schema_ptr elem, int64_t len) {
  auto s = std::make_shared<schema>();
  s->k = kind::array;
  s->name = std::move(name);
  s->elem = std::move(elem);
  s->len = len;
  return s;
}

schema_ptr schema::map(std::string name, schema_ptr key, schema_ptr elem) {
  auto s = std::make_shared<schema>();
  s->k = kind::map;
  s->name = std::move(name);
  s->key = std::move(key);
  s->elem = std::move(elem);
  return s;
}

schema_ptr schema::binary_marshaler(std::string name) {
  return make_marshaler(kind::binary_marshaler, std::move(name));
}
schema_ptr schema::gob_encoder(std::string name) {
  return make_marshaler(kind::gob_encoder, std::move(name));
}
schema_ptr schema::text_marshaler(std::string name) {
  return make_marshaler(kind::text_marshaler, std::move(name));
}

bool is_basic(const schema& s) noexcept {
  return basic_id(s.k) != 0;
}

type_id process_types::id_of(const schema_ptr& s) {
  if (auto b = basic_id(s->k))
    return b;
  auto i = ids_.find(s.get());
  if (i != ids_.end())
    return i->second;
  return assign(s);
}

type_id process_types::assign(const schema_ptr& s) {
  // Mirrors encoding/gob newTypeObject: a struct takes its id before its
  // fields are examined; slices, arrays and maps build their element (and
  // key) types first and take their own id afterwards; marshalers at once.
  auto take = [this, &s] {
    auto id = next_++;
    ids_.emplace(s.get(), id);
    keep_.push_back(s);
    return id;
  };
  switch (s->k) {
    case kind::struct_: {
      auto id = take();
      for (auto& [name, f] : s->fields)
        id_of(f);
      return id;
    }
    case kind::slice:
    case kind::array:
      id_of(s->elem);
      return take();
    case kind::map:
      id_of(s->key);
      id_of(s->elem);
      return take();
    default:
      return take();
  }
}

wire_type process_types::definition(const schema_ptr& s) {
  wire_type t;
  t.k = s->k;
  t.name = s->name;
  t.id = id_of(s);
  switch (s->k) {
    case kind::struct_:
      for (auto& [name, f] : s->fields)
        t.fields.push_back(field_def{name, id_of(f)});
      break;
    case kind::slice:
      t.elem = id_of(s->elem);
      break;
    case kind::array:
      t.elem = id_of(s->elem);
      t.len = s->len;
      break;
    case kind::map:
      t.key = id_of(s->key);
      t.elem = id_of(s->elem);
      break;
    default:
      break;
  }
  return t;
}

} // namespace skywire::wire::gob
