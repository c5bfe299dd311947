#include "runtime/config/duration.hpp"

#include <cstdint>
#include <limits>

namespace skywire::config {

std::optional<nanoseconds> parse_go_duration(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64)
    return std::nullopt;
  bool neg = false;
  if (s.front() == '-' || s.front() == '+') {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0")
    return nanoseconds{0};
  if (s.empty())
    return std::nullopt;
  // Accumulate in unsigned 64-bit ns; Go's limit is int64 max.
  constexpr uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t total = 0;
  while (!s.empty()) {
    uint64_t whole = 0;
    bool any_digit = false;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (whole > (limit - 9) / 10)
        return std::nullopt;
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      any_digit = true;
    }
    // fraction: keep up to 18 digits
    uint64_t frac = 0, frac_scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        any_digit = true;
        if (frac_scale < 1000000000000000000ull) {
          frac = frac * 10 + static_cast<uint64_t>(s[i] - '0');
          frac_scale *= 10;
        }
      }
    }
    if (!any_digit)
      return std::nullopt;
    s.remove_prefix(i);
    uint64_t unit = 0;
    auto take = [&](std::string_view u, uint64_t ns) {
      if (unit == 0 && s.substr(0, u.size()) == u) {
        unit = ns;
        s.remove_prefix(u.size());
      }
    };
    // order matters: "ms" before "m", "ns"/"us"/"µs" before "s"
    take("ns", 1);
    take("us", 1000);
    take("\xc2\xb5s", 1000); // U+00B5 micro sign
    take("\xce\xbcs", 1000); // U+03BC greek mu
    take("ms", 1000000);
    take("s", 1000000000ull);
    take("m", 60ull * 1000000000ull);
    take("h", 3600ull * 1000000000ull);
    if (unit == 0)
      return std::nullopt;
    if (whole > limit / unit)
      return std::nullopt;
    uint64_t v = whole * unit;
    if (frac > 0) {
      // frac/frac_scale * unit, computed without overflow in long double
      long double f = static_cast<long double>(frac) * static_cast<long double>(unit)
                      / static_cast<long double>(frac_scale);
      v += static_cast<uint64_t>(f);
    }
    if (v > limit || total > limit - v)
      return std::nullopt;
    total += v;
  }
  auto r = static_cast<int64_t>(total);
  return nanoseconds{neg ? -r : r};
}

namespace {

// Writes v/10^prec with trailing fractional zeros removed (Go's fmtFrac+fmtInt).
void append_scaled(std::string& out, uint64_t v, int prec) {
  uint64_t div = 1;
  for (int i = 0; i < prec; ++i)
    div *= 10;
  out += std::to_string(v / div);
  uint64_t frac = v % div;
  if (frac == 0)
    return;
  std::string digits(static_cast<size_t>(prec), '0');
  for (int i = prec - 1; i >= 0; --i) {
    digits[static_cast<size_t>(i)] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  while (!digits.empty() && digits.back() == '0')
    digits.pop_back();
  out += '.';
  out += digits;
}

} // namespace

std::string format_go_duration(nanoseconds d) {
  int64_t n = d.count();
  if (n == 0)
    return "0s";
  std::string out;
  uint64_t u;
  if (n < 0) {
    out += '-';
    u = static_cast<uint64_t>(-(n + 1)) + 1;
  } else {
    u = static_cast<uint64_t>(n);
  }
  if (u < 1000000000ull) {
    if (u < 1000) {
      out += std::to_string(u) + "ns";
    } else if (u < 1000000) {
      append_scaled(out, u, 3);
      out += "\xc2\xb5s";
    } else {
      append_scaled(out, u, 6);
      out += "ms";
    }
    return out;
  }
  uint64_t hours = u / (3600ull * 1000000000ull);
  u -= hours * 3600ull * 1000000000ull;
  uint64_t mins = u / (60ull * 1000000000ull);
  u -= mins * 60ull * 1000000000ull;
  if (hours > 0)
    out += std::to_string(hours) + "h";
  if (hours > 0 || mins > 0)
    out += std::to_string(mins) + "m";
  append_scaled(out, u, 9);
  out += "s";
  return out;
}

} // namespace skywire::config
