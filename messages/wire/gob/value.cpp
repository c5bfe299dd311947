#include "messages/wire/gob/value.hpp"

#include <bit>
#include <cstdio>

namespace skywire::wire::gob {

value value::of_byte_array(const uint8_t* p, size_t n) {
  value v;
  v.t = tag::array;
  v.items.reserve(n);
  for (size_t k = 0; k < n; ++k)
    v.items.push_back(of_uint(p[k]));
  return v;
}

bool value::byte_array(std::vector<uint8_t>& out) const {
  out.clear();
  if (t == tag::bytes || t == tag::string || t == tag::marshaled) {
    out = data;
    return true;
  }
  if (t != tag::array && t != tag::slice)
    return false;
  out.reserve(items.size());
  for (auto& e : items) {
    if ((e.t != tag::uint_ && e.t != tag::none) || e.u > 0xff) {
      out.clear();
      return false;
    }
    out.push_back(static_cast<uint8_t>(e.u));
  }
  return true;
}

const value& value::field(size_t idx) const noexcept {
  static const value none_value{};
  if (t != tag::struct_ || idx >= items.size())
    return none_value;
  return items[idx];
}

bool operator==(const value& a, const value& b) noexcept {
  // Absent fields equal explicit zero values of the same shape is not
  // assumed: compare what was decoded. Type ids are connection-specific and
  // ignored.
  if (a.t != b.t || a.u != b.u || a.i != b.i)
    return false;
  if (std::bit_cast<uint64_t>(a.f) != std::bit_cast<uint64_t>(b.f)
      || std::bit_cast<uint64_t>(a.f2) != std::bit_cast<uint64_t>(b.f2))
    return false;
  if (a.data != b.data || a.items.size() != b.items.size())
    return false;
  for (size_t k = 0; k < a.items.size(); ++k)
    if (!(a.items[k] == b.items[k]))
      return false;
  return true;
}

const char* to_string(value::tag t) noexcept {
  using tg = value::tag;
  switch (t) {
    case tg::none: return "none";
    case tg::boolean: return "bool";
    case tg::int_: return "int";
    case tg::uint_: return "uint";
    case tg::float_: return "float";
    case tg::complex_: return "complex";
    case tg::bytes: return "bytes";
    case tg::string: return "string";
    case tg::marshaled: return "marshaled";
    case tg::struct_: return "struct";
    case tg::slice: return "slice";
    case tg::array: return "array";
    case tg::map: return "map";
    case tg::nil_interface: return "nil_interface";
  }
  return "unknown";
}

namespace {

void hex_into(std::string& out, const std::vector<uint8_t>& d) {
  static const char* digits = "0123456789abcdef";
  out += "0x";
  for (auto b : d) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
}

void render(std::string& out, const value& v, const type_table* table, int depth) {
  using tg = value::tag;
  if (depth > 64) {
    out += "...";
    return;
  }
  switch (v.t) {
    case tg::none: out += "<zero>"; break;
    case tg::boolean: out += v.u ? "true" : "false"; break;
    case tg::int_: out += std::to_string(v.i); break;
    case tg::uint_: out += std::to_string(v.u); break;
    case tg::float_: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%g", v.f);
      out += buf;
      break;
    }
    case tg::complex_: {
      char buf[96];
      std::snprintf(buf, sizeof(buf), "(%g+%gi)", v.f, v.f2);
      out += buf;
      break;
    }
    case tg::string: {
      out += '"';
      for (auto c : v.data) {
        if (c == '"' || c == '\\') {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
      }
      out += '"';
      break;
    }
    case tg::bytes:
    case tg::marshaled: hex_into(out, v.data); break;
    case tg::nil_interface: out += "nil"; break;
    case tg::struct_: {
      const wire_type* wt = table ? table->find(v.type) : nullptr;
      out += '{';
      bool first = true;
      for (size_t k = 0; k < v.items.size(); ++k) {
        if (v.items[k].is_none())
          continue;
        if (!first)
          out += ", ";
        first = false;
        if (wt && k < wt->fields.size())
          out += wt->fields[k].name;
        else
          out += '#' + std::to_string(k);
        out += ": ";
        render(out, v.items[k], table, depth + 1);
      }
      out += '}';
      break;
    }
    case tg::slice:
    case tg::array: {
      out += '[';
      for (size_t k = 0; k < v.items.size(); ++k) {
        if (k)
          out += ", ";
        render(out, v.items[k], table, depth + 1);
      }
      out += ']';
      break;
    }
    case tg::map: {
      out += "map[";
      for (size_t k = 0; k + 1 < v.items.size(); k += 2) {
        if (k)
          out += ", ";
        render(out, v.items[k], table, depth + 1);
        out += ": ";
        render(out, v.items[k + 1], table, depth + 1);
      }
      out += ']';
      break;
    }
  }
}

} // namespace

std::string to_string(const value& v, const type_table* table) {
  std::string out;
  render(out, v, table, 0);
  return out;
}

const value* find_field(const type_table& table, const value& v, std::string_view name) {
  if (v.t != value::tag::struct_)
    return nullptr;
  auto* wt = table.find(v.type);
  if (!wt || wt->k != kind::struct_)
    return nullptr;
  auto idx = type_table::field_index(*wt, name);
  if (idx < 0)
    return nullptr;
  return &v.field(static_cast<size_t>(idx));
}

} // namespace skywire::wire::gob
