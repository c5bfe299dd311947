// Prometheus text for the services' /metrics.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace skywire::services {

/// Appends one sample with its TYPE line: "# TYPE <name> <type>\n<name> <v>\n".
void append_metric(std::string& out, std::string_view name, std::string_view type, uint64_t v);

} // namespace skywire::services
