#include "actors/services/metrics_text.hpp"

namespace skywire::services {

void append_metric(std::string& out, std::string_view name, std::string_view type, uint64_t v) {
  out += "# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

} // namespace skywire::services
