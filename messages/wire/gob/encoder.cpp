#include "messages/wire/gob/encoder.hpp"

#include <unordered_map>
#include <unordered_set>

namespace skywire::wire::gob {

namespace {

using tag = value::tag;

caf::error mismatch(const schema& s, const value& v) {
  return make_error(wire_errc::bad_value, std::string("gob encode: value ") + to_string(v.t)
                                            + " does not fit Go type " + to_string(s.k)
                                            + (s.name.empty() ? "" : " " + s.name));
}

bool all_zero(const std::vector<uint8_t>& d) noexcept {
  for (auto b : d)
    if (b != 0)
      return false;
  return true;
}

// Whether a struct field is sent (Go omits zero values, except nested
// structs and arrays, which are always sent).
bool is_sent(const schema& s, const value& v) {
  switch (s.k) {
    case kind::struct_:
    case kind::array:
      return true;
    case kind::map:
      return v.t != tag::none;
    case kind::interface_:
      return false; // only nil interfaces are supported
    default:
      break;
  }
  if (v.t == tag::none)
    return false;
  switch (s.k) {
    case kind::boolean:
    case kind::uint_: return v.u != 0;
    case kind::int_: return v.i != 0;
    case kind::float_: return v.f != 0;
    case kind::complex_: return v.f != 0 || v.f2 != 0;
    case kind::bytes:
    case kind::string: return !v.data.empty();
    case kind::slice: return !v.items.empty();
    case kind::gob_encoder:
    case kind::binary_marshaler:
    case kind::text_marshaler:
      // The Go zero value of PubKey/UUID-like types marshals to all-zero bytes.
      return !v.data.empty() && !all_zero(v.data);
    default: return true;
  }
}

class value_writer {
public:
  explicit value_writer(size_t max_output) : max_(max_output) {}

  caf::error write_struct(const schema& s, const value& v, std::vector<uint8_t>& out, int depth) {
    if (v.t != tag::struct_ && v.t != tag::none)
      return mismatch(s, v);
    static const value none_value{};
    size_t last = 0; // field number + 1 of the last field written
    for (size_t k = 0; k < s.fields.size(); ++k) {
      const auto& fs = *s.fields[k].second;
      const value& fv = (v.t == tag::struct_ && k < v.items.size()) ? v.items[k] : none_value;
      if (!is_sent(fs, fv))
        continue;
      put_uint(out, k + 1 - last);
      last = k + 1;
      if (auto err = write_elem(fs, fv, out, depth + 1))
        return err;
    }
    if (v.t == tag::struct_ && v.items.size() > s.fields.size())
      return make_error(wire_errc::bad_value, "gob encode: struct value has extra fields");
    out.push_back(0);
    return {};
  }

  caf::error write_elem(const schema& s, const value& v, std::vector<uint8_t>& out, int depth) {
    if (depth > 256)
      return make_error(wire_errc::oversized, "gob encode: value nested too deeply");
    if (out.size() > max_)
      return make_error(wire_errc::oversized, "gob encode: value too large");
    auto want = [&](tag t) { return v.t == t || v.t == tag::none; };
    switch (s.k) {
      case kind::boolean:
        if (!want(tag::boolean))
          return mismatch(s, v);
        put_uint(out, v.u != 0 ? 1 : 0);
        return {};
      case kind::int_:
        if (!want(tag::int_))
          return mismatch(s, v);
        put_int(out, v.i);
        return {};
      case kind::uint_:
        if (!want(tag::uint_))
          return mismatch(s, v);
        put_uint(out, v.u);
        return {};
      case kind::float_:
        if (!want(tag::float_))
          return mismatch(s, v);
        put_uint(out, float_to_wire(v.f));
        return {};
      case kind::complex_:
        if (!want(tag::complex_))
          return mismatch(s, v);
        put_uint(out, float_to_wire(v.f));
        put_uint(out, float_to_wire(v.f2));
        return {};
      case kind::bytes:
        if (!want(tag::bytes))
          return mismatch(s, v);
        put_bytes(out, v.data);
        return {};
      case kind::string:
        if (!want(tag::string))
          return mismatch(s, v);
        put_bytes(out, v.data);
        return {};
      case kind::interface_:
        if (!want(tag::nil_interface))
          return mismatch(s, v);
        put_uint(out, 0);
        return {};
      case kind::gob_encoder:
      case kind::binary_marshaler:
      case kind::text_marshaler:
        if (!want(tag::marshaled) && v.t != tag::bytes)
          return mismatch(s, v);
        put_bytes(out, v.data);
        return {};
      case kind::struct_:
        return write_struct(s, v, out, depth);
      case kind::slice: {
        if (!want(tag::slice))
          return mismatch(s, v);
        put_uint(out, v.items.size());
        for (auto& e : v.items)
          if (auto err = write_elem(*s.elem, e, out, depth + 1))
            return err;
        return {};
      }
      case kind::array: {
        if (!want(tag::array))
          return mismatch(s, v);
        if (v.t == tag::array && v.items.size() != static_cast<size_t>(s.len))
          return make_error(wire_errc::bad_value, "gob encode: array length mismatch");
        put_uint(out, static_cast<uint64_t>(s.len));
        static const value none_value{};
        for (int64_t k = 0; k < s.len; ++k) {
          const value& e = v.t == tag::array ? v.items[static_cast<size_t>(k)] : none_value;
          if (auto err = write_elem(*s.elem, e, out, depth + 1))
            return err;
        }
        return {};
      }
      case kind::map: {
        if (!want(tag::map))
          return mismatch(s, v);
        if (v.items.size() % 2 != 0)
          return make_error(wire_errc::bad_value, "gob encode: map needs key/value pairs");
        put_uint(out, v.items.size() / 2);
        for (size_t k = 0; k < v.items.size(); k += 2) {
          if (auto err = write_elem(*s.key, v.items[k], out, depth + 1))
            return err;
          if (auto err = write_elem(*s.elem, v.items[k + 1], out, depth + 1))
            return err;
        }
        return {};
      }
    }
    return mismatch(s, v);
  }

private:
  size_t max_;
};

void put_common(std::vector<uint8_t>& p, const wire_type& t) {
  // CommonType { Name string; Id int }: a nested struct, always sent.
  size_t last = 0;
  if (!t.name.empty()) {
    put_uint(p, 1);
    put_bytes(p, byte_span{reinterpret_cast<const uint8_t*>(t.name.data()), t.name.size()});
    last = 1;
  }
  if (t.id != 0) {
    put_uint(p, 2 - last);
    put_int(p, t.id);
  }
  p.push_back(0);
}

} // namespace

void encode_definition(const wire_type& t, std::vector<uint8_t>& p) {
  put_int(p, -static_cast<int64_t>(t.id));
  switch (t.k) {
    case kind::array: {
      put_uint(p, 1); // wireType.ArrayT
      put_uint(p, 1);
      put_common(p, t);
      put_uint(p, 1);
      put_int(p, t.elem);
      if (t.len != 0) {
        put_uint(p, 1);
        put_int(p, t.len);
      }
      p.push_back(0);
      break;
    }
    case kind::slice:
      put_uint(p, 2); // wireType.SliceT
      put_uint(p, 1);
      put_common(p, t);
      put_uint(p, 1);
      put_int(p, t.elem);
      p.push_back(0);
      break;
    case kind::struct_:
      put_uint(p, 3); // wireType.StructT
      put_uint(p, 1);
      put_common(p, t);
      if (!t.fields.empty()) {
        put_uint(p, 1);
        put_uint(p, t.fields.size());
        for (auto& f : t.fields) {
          size_t last = 0;
          if (!f.name.empty()) {
            put_uint(p, 1);
            put_bytes(p, byte_span{reinterpret_cast<const uint8_t*>(f.name.data()), f.name.size()});
            last = 1;
          }
          if (f.id != 0) {
            put_uint(p, 2 - last);
            put_int(p, f.id);
          }
          p.push_back(0);
        }
      }
      p.push_back(0);
      break;
    case kind::map:
      put_uint(p, 4); // wireType.MapT
      put_uint(p, 1);
      put_common(p, t);
      put_uint(p, 1);
      put_int(p, t.key);
      put_uint(p, 1);
      put_int(p, t.elem);
      p.push_back(0);
      break;
    case kind::gob_encoder:
    case kind::binary_marshaler:
    case kind::text_marshaler:
      put_uint(p, t.k == kind::gob_encoder ? 5 : t.k == kind::binary_marshaler ? 6 : 7);
      put_uint(p, 1);
      put_common(p, t);
      p.push_back(0);
      break;
    default:
      break; // predefined types have no definition
  }
  p.push_back(0); // end of wireType
}

void append_message(std::vector<uint8_t>& out, const std::vector<uint8_t>& payload) {
  put_uint(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

encoder::encoder(std::shared_ptr<process_types> proc)
  : proc_(proc ? std::move(proc) : std::make_shared<process_types>()) {
}

void encoder::send_type(const schema_ptr& s, std::vector<uint8_t>& out) {
  if (is_basic(*s))
    return;
  auto id = proc_->id_of(s);
  if (sent_.count(id) != 0)
    return;
  std::vector<uint8_t> payload;
  encode_definition(proc_->definition(s), payload);
  append_message(out, payload);
  sent_.insert(id);
  switch (s->k) {
    case kind::struct_:
      for (auto& [name, f] : s->fields)
        send_type(f, out);
      break;
    case kind::slice:
    case kind::array:
      send_type(s->elem, out);
      break;
    case kind::map:
      send_type(s->key, out);
      send_type(s->elem, out);
      break;
    default:
      break;
  }
}

caf::error encoder::encode(const schema_ptr& s, const value& v, std::vector<uint8_t>& out) {
  // Encode the value first so that a mismatch leaves `out` and the sent set untouched.
  std::vector<uint8_t> body;
  value_writer w{max_output_};
  auto id = proc_->id_of(s);
  put_int(body, id);
  if (s->k == kind::struct_) {
    if (auto err = w.write_struct(*s, v, body, 0))
      return err;
  } else {
    body.push_back(0); // singleton: field delta 0
    if (auto err = w.write_elem(*s, v, body, 0))
      return err;
  }
  send_type(s, out);
  append_message(out, body);
  return {};
}

namespace {

struct wire_to_schema {
  const type_table& table;
  std::unordered_map<type_id, schema_ptr> done;
  std::unordered_set<type_id> in_progress;

  expected<schema_ptr> get(type_id id, int depth) {
    if (depth > 64)
      return make_error(wire_errc::unsupported, "gob: type nesting too deep");
    if (auto bk = builtin_kind(id)) {
      switch (*bk) {
        case kind::boolean: return schema::boolean();
        case kind::int_: return schema::int_();
        case kind::uint_: return schema::uint_();
        case kind::float_: return schema::float_();
        case kind::bytes: return schema::bytes();
        case kind::string: return schema::string();
        default: {
          auto s = std::make_shared<schema>();
          s->k = *bk;
          return schema_ptr{s};
        }
      }
    }
    if (auto i = done.find(id); i != done.end())
      return i->second;
    const wire_type* t = table.find(id);
    if (!t)
      return make_error(wire_errc::bad_value, "gob: unknown type id " + std::to_string(id));
    if (!in_progress.insert(id).second)
      return make_error(wire_errc::unsupported, "gob: recursive type");
    auto s = std::make_shared<schema>();
    s->k = t->k;
    s->name = t->name;
    s->len = t->len;
    if (t->k == kind::struct_) {
      for (auto& f : t->fields) {
        auto fs = get(f.id, depth + 1);
        if (!fs)
          return fs;
        s->fields.emplace_back(f.name, *fs);
      }
    } else if (t->k == kind::slice || t->k == kind::array || t->k == kind::map) {
      auto e = get(t->elem, depth + 1);
      if (!e)
        return e;
      s->elem = *e;
      if (t->k == kind::map) {
        auto k = get(t->key, depth + 1);
        if (!k)
          return k;
        s->key = *k;
      }
    }
    in_progress.erase(id);
    schema_ptr out = s;
    done.emplace(id, out);
    return out;
  }
};

} // namespace

expected<schema_ptr> schema_from_wire(const type_table& table, type_id id) {
  wire_to_schema w{table, {}, {}};
  return w.get(id, 0);
}

} // namespace skywire::wire::gob
