#include "messages/wire/gob/decoder.hpp"

namespace skywire::wire::gob {

namespace {

// Field numbers of Go's wireType and its parts.
enum wire_type_field : size_t {
  wt_array = 0, wt_slice, wt_struct, wt_map, wt_gob_encoder, wt_binary_marshaler,
  wt_text_marshaler, wt_field_count
};

// Iterates the field deltas of a struct with `nfields` fields; calls
// fn(field_index) to read each present field.
template <class F>
caf::error for_each_field(reader& r, size_t nfields, F&& fn) {
  size_t next = 0; // fields [0, next) are behind us
  for (;;) {
    auto delta = r.read_uint();
    if (!delta)
      return std::move(delta.error());
    if (*delta == 0)
      return {};
    if (*delta > nfields - next)
      return make_error(wire_errc::malformed, "gob: field number out of range");
    size_t idx = next + static_cast<size_t>(*delta) - 1;
    if (auto err = fn(idx))
      return err;
    next = idx + 1;
  }
}

expected<std::string> read_string(reader& r, size_t max) {
  auto n = r.read_length("string");
  if (!n)
    return std::move(n.error());
  if (*n > max)
    return make_error(wire_errc::oversized, "gob: name too long");
  auto s = r.read_span(*n);
  if (!s)
    return std::move(s.error());
  return std::string(s->begin(), s->end());
}

expected<type_id> read_type_id(reader& r, const limits& lim) {
  auto i = r.read_int();
  if (!i)
    return std::move(i.error());
  if (*i <= 0 || *i > lim.max_type_id)
    return make_error(wire_errc::bad_value, "gob: invalid type id " + std::to_string(*i));
  return static_cast<type_id>(*i);
}

// CommonType { Name string; Id int }
caf::error read_common(reader& r, wire_type& t, const limits& lim) {
  return for_each_field(r, 2, [&](size_t idx) -> caf::error {
    if (idx == 0) {
      auto s = read_string(r, lim.max_name);
      if (!s)
        return std::move(s.error());
      t.name = std::move(*s);
      return {};
    }
    auto id = r.read_int(); // informational; the message's id is authoritative
    if (!id)
      return std::move(id.error());
    return {};
  });
}

} // namespace

caf::error decoder::fail(caf::error err) {
  if (!failed_)
    failed_ = err;
  return err;
}

caf::error decoder::count_node() {
  if (++nodes_ > limits_.max_nodes)
    return make_error(wire_errc::oversized, "gob: too many values in one message");
  return {};
}

caf::error decoder::read_definition(reader& r, type_id id) {
  wire_type t;
  t.id = id;
  bool seen = false;
  auto err = for_each_field(r, wt_field_count, [&](size_t which) -> caf::error {
    if (seen)
      return make_error(wire_errc::malformed, "gob: type definition with several kinds");
    seen = true;
    switch (which) {
      case wt_array:
        t.k = kind::array;
        return for_each_field(r, 3, [&](size_t idx) -> caf::error {
          if (idx == 0)
            return read_common(r, t, limits_);
          if (idx == 1) {
            auto e = read_type_id(r, limits_);
            if (!e)
              return std::move(e.error());
            t.elem = *e;
            return {};
          }
          auto n = r.read_int();
          if (!n)
            return std::move(n.error());
          t.len = *n;
          return {};
        });
      case wt_slice:
        t.k = kind::slice;
        return for_each_field(r, 2, [&](size_t idx) -> caf::error {
          if (idx == 0)
            return read_common(r, t, limits_);
          auto e = read_type_id(r, limits_);
          if (!e)
            return std::move(e.error());
          t.elem = *e;
          return {};
        });
      case wt_struct:
        t.k = kind::struct_;
        return for_each_field(r, 2, [&](size_t idx) -> caf::error {
          if (idx == 0)
            return read_common(r, t, limits_);
          auto n = r.read_uint();
          if (!n)
            return std::move(n.error());
          if (*n > limits_.max_fields)
            return make_error(wire_errc::oversized, "gob: too many fields");
          if (*n > r.remaining())
            return make_error(wire_errc::truncated, "gob: field list exceeds message");
          for (uint64_t k = 0; k < *n; ++k) {
            field_def f;
            auto ferr = for_each_field(r, 2, [&](size_t fi) -> caf::error {
              if (fi == 0) {
                auto s = read_string(r, limits_.max_name);
                if (!s)
                  return std::move(s.error());
                f.name = std::move(*s);
                return {};
              }
              auto e = read_type_id(r, limits_);
              if (!e)
                return std::move(e.error());
              f.id = *e;
              return {};
            });
            if (ferr)
              return ferr;
            if (f.id == 0)
              return make_error(wire_errc::malformed, "gob: struct field without type");
            t.fields.push_back(std::move(f));
          }
          return {};
        });
      case wt_map:
        t.k = kind::map;
        return for_each_field(r, 3, [&](size_t idx) -> caf::error {
          if (idx == 0)
            return read_common(r, t, limits_);
          auto e = read_type_id(r, limits_);
          if (!e)
            return std::move(e.error());
          (idx == 1 ? t.key : t.elem) = *e;
          return {};
        });
      default:
        t.k = which == wt_gob_encoder        ? kind::gob_encoder
              : which == wt_binary_marshaler ? kind::binary_marshaler
                                             : kind::text_marshaler;
        return for_each_field(r, 1, [&](size_t) { return read_common(r, t, limits_); });
    }
  });
  if (err)
    return err;
  if (!seen)
    return make_error(wire_errc::malformed, "gob: empty type definition");
  if ((t.k == kind::array || t.k == kind::slice || t.k == kind::map) && t.elem == 0)
    return make_error(wire_errc::malformed, "gob: composite type without element type");
  if (t.k == kind::map && t.key == 0)
    return make_error(wire_errc::malformed, "gob: map type without key type");
  if (!r.empty())
    return make_error(wire_errc::malformed, "gob: extra data in buffer");
  return table_.add(std::move(t));
}

expected<value> decoder::read_struct(reader& r, const wire_type& t, size_t depth) {
  value v;
  v.t = value::tag::struct_;
  v.type = t.id;
  auto err = for_each_field(r, t.fields.size(), [&](size_t idx) -> caf::error {
    auto fv = read_value(r, t.fields[idx].id, depth + 1);
    if (!fv)
      return std::move(fv.error());
    if (v.items.size() <= idx)
      v.items.resize(idx + 1);
    v.items[idx] = std::move(*fv);
    return {};
  });
  if (err)
    return err;
  return v;
}

expected<value> decoder::read_value(reader& r, type_id id, size_t depth) {
  if (depth > limits_.max_depth)
    return make_error(wire_errc::oversized, "gob: values nested too deeply");
  if (auto err = count_node())
    return err;
  value v;
  v.type = id;
  if (auto bk = builtin_kind(id)) {
    switch (*bk) {
      case kind::boolean: {
        auto u = r.read_uint();
        if (!u)
          return std::move(u.error());
        v.t = value::tag::boolean;
        v.u = *u != 0 ? 1 : 0;
        return v;
      }
      case kind::int_: {
        auto i = r.read_int();
        if (!i)
          return std::move(i.error());
        v.t = value::tag::int_;
        v.i = *i;
        return v;
      }
      case kind::uint_: {
        auto u = r.read_uint();
        if (!u)
          return std::move(u.error());
        v.t = value::tag::uint_;
        v.u = *u;
        return v;
      }
      case kind::float_: {
        auto u = r.read_uint();
        if (!u)
          return std::move(u.error());
        v.t = value::tag::float_;
        v.f = float_from_wire(*u);
        return v;
      }
      case kind::complex_: {
        auto re = r.read_uint();
        if (!re)
          return std::move(re.error());
        auto im = r.read_uint();
        if (!im)
          return std::move(im.error());
        v.t = value::tag::complex_;
        v.f = float_from_wire(*re);
        v.f2 = float_from_wire(*im);
        return v;
      }
      case kind::bytes:
      case kind::string: {
        auto n = r.read_length(*bk == kind::bytes ? "bytes" : "string");
        if (!n)
          return std::move(n.error());
        auto s = r.read_span(*n);
        if (!s)
          return std::move(s.error());
        v.t = *bk == kind::bytes ? value::tag::bytes : value::tag::string;
        v.data.assign(s->begin(), s->end());
        return v;
      }
      case kind::interface_: {
        auto n = r.read_length("interface name");
        if (!n)
          return std::move(n.error());
        if (*n != 0)
          return make_error(wire_errc::unsupported, "gob: non-nil interface values are not supported");
        v.t = value::tag::nil_interface;
        return v;
      }
      default:
        break;
    }
    return make_error(wire_errc::unsupported, "gob: unsupported predefined type");
  }
  const wire_type* t = table_.find(id);
  if (!t)
    return make_error(wire_errc::bad_value, "gob: unknown type id " + std::to_string(id));
  switch (t->k) {
    case kind::struct_:
      return read_struct(r, *t, depth);
    case kind::slice:
    case kind::array: {
      auto n = r.read_uint();
      if (!n)
        return std::move(n.error());
      if (t->k == kind::array && *n != static_cast<uint64_t>(t->len))
        return make_error(wire_errc::malformed, "gob: length mismatch in array");
      // Every element takes at least one byte.
      if (*n > r.remaining())
        return make_error(wire_errc::truncated, "gob: element count exceeds message");
      v.t = t->k == kind::array ? value::tag::array : value::tag::slice;
      v.items.reserve(static_cast<size_t>(*n));
      for (uint64_t k = 0; k < *n; ++k) {
        auto e = read_value(r, t->elem, depth + 1);
        if (!e)
          return std::move(e.error());
        v.items.push_back(std::move(*e));
      }
      return v;
    }
    case kind::map: {
      auto n = r.read_uint();
      if (!n)
        return std::move(n.error());
      if (*n > r.remaining() / 2)
        return make_error(wire_errc::truncated, "gob: map size exceeds message");
      v.t = value::tag::map;
      v.items.reserve(static_cast<size_t>(*n) * 2);
      for (uint64_t k = 0; k < *n; ++k) {
        auto key = read_value(r, t->key, depth + 1);
        if (!key)
          return std::move(key.error());
        v.items.push_back(std::move(*key));
        auto e = read_value(r, t->elem, depth + 1);
        if (!e)
          return std::move(e.error());
        v.items.push_back(std::move(*e));
      }
      return v;
    }
    case kind::gob_encoder:
    case kind::binary_marshaler:
    case kind::text_marshaler: {
      auto n = r.read_length("marshaled value");
      if (!n)
        return std::move(n.error());
      auto s = r.read_span(*n);
      if (!s)
        return std::move(s.error());
      v.t = value::tag::marshaled;
      v.data.assign(s->begin(), s->end());
      return v;
    }
    default:
      return make_error(wire_errc::unsupported, "gob: unsupported wire type kind");
  }
}

expected<std::optional<value>> decoder::decode_message(byte_span payload) {
  if (failed_)
    return failed_;
  if (payload.size() > limits_.max_message)
    return fail(make_error(wire_errc::oversized, "gob: message too big"));
  reader r{payload};
  auto id = r.read_int();
  if (!id)
    return fail(std::move(id.error()));
  if (*id < 0) {
    if (*id < -static_cast<int64_t>(limits_.max_type_id))
      return fail(make_error(wire_errc::bad_value, "gob: type id out of range"));
    if (auto err = read_definition(r, static_cast<type_id>(-*id)))
      return fail(std::move(err));
    return std::optional<value>{};
  }
  if (*id == 0 || *id > limits_.max_type_id)
    return fail(make_error(wire_errc::bad_value, "gob: invalid value type id"));
  auto tid = static_cast<type_id>(*id);
  nodes_ = 0;
  expected<value> v = value{};
  const wire_type* t = table_.find(tid);
  if (t && t->k == kind::struct_) {
    if (auto err = count_node())
      return fail(std::move(err));
    v = read_struct(r, *t, 0);
  } else {
    if (!t && !builtin_kind(tid))
      return fail(make_error(wire_errc::bad_value, "gob: unknown type id " + std::to_string(tid)));
    if (tid == builtin::interface_id)
      return fail(make_error(wire_errc::unsupported, "gob: top-level interface value"));
    auto delta = r.read_uint();
    if (!delta)
      return fail(std::move(delta.error()));
    if (*delta != 0)
      return fail(make_error(wire_errc::malformed, "gob: non-zero delta for singleton"));
    v = read_value(r, tid, 0);
  }
  if (!v)
    return fail(std::move(v.error()));
  if (!r.empty())
    return fail(make_error(wire_errc::malformed, "gob: extra data after value"));
  return std::optional<value>{std::move(*v)};
}

expected<decoder::step> decoder::next(byte_span in) {
  if (failed_)
    return failed_;
  step out;
  while (out.consumed < in.size()) {
    reader r{in.subspan(out.consumed)};
    // The length prefix may itself be incomplete.
    uint8_t b0 = in[out.consumed];
    size_t prefix = b0 < 0x80 ? 1 : 1 + (256u - b0);
    if (b0 >= 0x80 && 256u - b0 > 8)
      return fail(make_error(wire_errc::malformed, "gob: bad message length"));
    if (r.remaining() < prefix)
      break;
    auto len = r.read_uint();
    if (!len)
      return fail(std::move(len.error()));
    if (*len == 0)
      return fail(make_error(wire_errc::malformed, "gob: empty message"));
    if (*len > limits_.max_message)
      return fail(make_error(wire_errc::oversized, "gob: message of " + std::to_string(*len)
                                                     + " bytes exceeds limit"));
    if (r.remaining() < *len)
      break;
    auto payload = in.subspan(out.consumed + prefix, static_cast<size_t>(*len));
    auto res = decode_message(payload);
    if (!res)
      return std::move(res.error());
    out.consumed += prefix + static_cast<size_t>(*len);
    if (*res) {
      out.val = std::move(**res);
      break;
    }
  }
  return out;
}

expected<value> decoder::decode_one(byte_span in) {
  auto st = next(in);
  if (!st)
    return std::move(st.error());
  if (!st->val)
    return fail(make_error(wire_errc::truncated, "gob: no complete value"));
  if (st->consumed != in.size())
    return fail(make_error(wire_errc::malformed, "gob: trailing bytes after value"));
  return std::move(*st->val);
}

void stream_decoder::feed(byte_span bytes) {
  if (dec_.failed())
    return;
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= buf_.size() / 2)) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

expected<std::optional<value>> stream_decoder::next() {
  auto st = dec_.next(byte_span{buf_}.subspan(pos_));
  if (!st)
    return std::move(st.error());
  pos_ += st->consumed;
  return std::move(st->val);
}

} // namespace skywire::wire::gob
