#include "actors/services/service_clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace skywire::services {

int64_t system_unix_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string rfc3339(int64_t unix_ns) {
  auto secs = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  auto frac = unix_ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (frac) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0')
      fs.pop_back();
    out += fs;
  }
  out += 'Z';
  return out;
}

} // namespace skywire::services
