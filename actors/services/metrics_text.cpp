#include "actors/services/metrics_text.hpp"

#include "runtime/http/metrics.hpp"

namespace skywire::services {

void append_metric(std::string& out, std::string_view name, std::string_view type, uint64_t v) {
  http::append_metric(out, {}, name, type, v);
}

} // namespace skywire::services
