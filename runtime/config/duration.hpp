// Go's time.Duration text form ("10s", "168h0m0s", "1.5h", "300ms", "2h45m"),
// as Skywire's config files write durations.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace skywire::config {

using nanoseconds = std::chrono::nanoseconds;

/// Parses Go's time.ParseDuration syntax: an optional sign, then one or more
/// decimal numbers (with optional fraction) each followed by a unit out of
/// ns, us, µs, ms, s, m, h. "0" alone is allowed. Rejects overflow.
std::optional<nanoseconds> parse_go_duration(std::string_view text) noexcept;

/// Formats like Go's Duration.String(): "0s", "1.5s", "300ms", "1m0s",
/// "168h0m0s".
std::string format_go_duration(nanoseconds d);

} // namespace skywire::config
