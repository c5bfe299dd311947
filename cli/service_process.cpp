#include "cli/service_process.hpp"

#include <sys/resource.h>

#include <iostream>

#include "runtime/log/logger.hpp"

namespace skywire::cli {

bool apply_log_level(const std::string& text) {
  auto lvl = log::parse_level(text);
  if (!lvl) {
    std::cerr << "unknown log level '" << text << "'\n";
    return false;
  }
  log::set_level(*lvl);
  return true;
}

void raise_nofile() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

} // namespace skywire::cli
