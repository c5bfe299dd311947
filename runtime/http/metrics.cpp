#include "runtime/http/metrics.hpp"

namespace skywire::http {

void append_metric(std::string& out, std::string_view prefix, std::string_view name,
                   std::string_view type, uint64_t v) {
  out += "# TYPE ";
  out += prefix;
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += prefix;
  out += name;
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

} // namespace skywire::http
