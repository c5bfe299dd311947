// Percent-encoding (RFC 3986 §2.1) as URLs and HTTP request targets use it,
// and the hex digit it is made of. Pure functions; bounded by their input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skywire::wire {

/// The value of one hex digit (either case), -1 for any other character.
constexpr int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query
/// strings). nullopt on a truncated or non-hex escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

/// Encodes every byte as %XX (uppercase hex) except the unreserved characters
/// of RFC 3986 (A-Z a-z 0-9 - . _ ~) and those listed in `keep` (e.g. "/" to
/// encode a path segment by segment). percent_decode inverts it.
std::string percent_encode(std::string_view s, std::string_view keep = {});

} // namespace skywire::wire
