#include "runtime/system/build_info.hpp"

#include <caf/config.hpp>

namespace skywire::system {

const char* version() noexcept {
  return "v0.1.0";
}

std::string build_description() {
  std::string out;
#if defined(__clang__)
  out = "clang++ " __clang_version__;
#elif defined(__GNUC__)
  out = "g++ " __VERSION__;
#endif
  out += ", CAF " + std::to_string(CAF_VERSION / 10000) + "." + std::to_string(CAF_VERSION / 100 % 100)
         + "." + std::to_string(CAF_VERSION % 100);
  out += ", built " __DATE__;
  return out;
}

} // namespace skywire::system
