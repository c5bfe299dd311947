#include "messages/wire/json/go_json.hpp"

#include <charconv>
#include <cmath>

namespace skywire::wire::json {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned cp) {
  out += "\\u";
  out += hex_digits[(cp >> 12) & 0xf];
  out += hex_digits[(cp >> 8) & 0xf];
  out += hex_digits[(cp >> 4) & 0xf];
  out += hex_digits[cp & 0xf];
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid.
size_t utf8_len(std::string_view s, size_t i, unsigned& cp) {
  auto b0 = static_cast<unsigned char>(s[i]);
  size_t n;
  unsigned min;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2; cp = b0 & 0x1f; min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3; cp = b0 & 0x0f; min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4; cp = b0 & 0x07; min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

} // namespace

void append_string(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '<':
        case '>':
        case '&': append_u_escape(out, c); break;
        default:
          if (c < 0x20)
            append_u_escape(out, c);
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    unsigned cp = 0;
    auto n = utf8_len(s, i, cp);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029)
      append_u_escape(out, cp);
    else
      out.append(s.substr(i, n));
    i += n;
  }
  out += '"';
}

void append_int(std::string& out, int64_t v) {
  out += std::to_string(v);
}

void append_uint(std::string& out, uint64_t v) {
  out += std::to_string(v);
}

void append_float(std::string& out, double v) {
  char buf[64];
  auto a = std::fabs(v);
  bool plain = a == 0 || (a >= 1e-6 && a < 1e21);
  auto r = std::to_chars(buf, buf + sizeof buf, v,
                         plain ? std::chars_format::fixed : std::chars_format::scientific);
  std::string_view text{buf, static_cast<size_t>(r.ptr - buf)};
  if (plain) {
    out += text;
    return;
  }
  // Go: "e-07" -> "e-7", "e+07" -> "e+7" (two-digit exponents of one digit)
  auto e = text.find('e');
  out += text.substr(0, e + 2);
  auto digits = text.substr(e + 2);
  while (digits.size() > 1 && digits.front() == '0')
    digits.remove_prefix(1);
  out += digits;
}

void append_byte_array(std::string& out, std::span<const uint8_t> bytes) {
  out += '[';
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i)
      out += ',';
    out += std::to_string(bytes[i]);
  }
  out += ']';
}

void writer::sep() {
  if (need_comma_)
    out_ += ',';
}

writer& writer::begin_object() {
  sep();
  out_ += '{';
  need_comma_ = false;
  return *this;
}

writer& writer::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

writer& writer::begin_array() {
  sep();
  out_ += '[';
  need_comma_ = false;
  return *this;
}

writer& writer::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

writer& writer::key(std::string_view k) {
  sep();
  append_string(out_, k);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

writer& writer::string(std::string_view s) {
  sep();
  append_string(out_, s);
  need_comma_ = true;
  return *this;
}

writer& writer::number(double v) {
  sep();
  append_float(out_, v);
  need_comma_ = true;
  return *this;
}

writer& writer::integer(int64_t v) {
  sep();
  append_int(out_, v);
  need_comma_ = true;
  return *this;
}

writer& writer::uinteger(uint64_t v) {
  sep();
  append_uint(out_, v);
  need_comma_ = true;
  return *this;
}

writer& writer::boolean(bool v) {
  sep();
  out_ += v ? "true" : "false";
  need_comma_ = true;
  return *this;
}

writer& writer::null() {
  sep();
  out_ += "null";
  need_comma_ = true;
  return *this;
}

writer& writer::raw(std::string_view json) {
  sep();
  out_.append(json);
  need_comma_ = true;
  return *this;
}

writer& writer::byte_array(std::span<const uint8_t> bytes) {
  sep();
  append_byte_array(out_, bytes);
  need_comma_ = true;
  return *this;
}

} // namespace skywire::wire::json
