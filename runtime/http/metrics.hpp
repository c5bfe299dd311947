// Prometheus text format, as the HTTP server and the services' /metrics
// write it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace skywire::http {

/// One sample with its TYPE line:
/// "# TYPE <prefix><name> <type>\n<prefix><name> <v>\n".
void append_metric(std::string& out, std::string_view prefix, std::string_view name,
                   std::string_view type, uint64_t v);

} // namespace skywire::http
