// Time as the HTTP services use it: unix nanoseconds from the system clock
// (injectable in each service's config for tests) and Go's time.Time JSON
// text for /health.
#pragma once

#include <cstdint>
#include <string>

namespace skywire::services {

/// Unix time in nanoseconds from the system clock.
int64_t system_unix_ns() noexcept;

/// RFC 3339 UTC text of a unix-ns time (as Go's time.Time JSON, nanoseconds trimmed).
std::string rfc3339(int64_t unix_ns);

} // namespace skywire::services
