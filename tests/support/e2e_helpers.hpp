// Small helpers shared by the end-to-end tests: reproducible test data, a
// regex capture from a log, whether curl is there.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/wait.hpp" // eventually

namespace skywire::test {

/// n bytes of xorshift output from seed (the same bytes for the same seed).
inline std::vector<uint8_t> pseudo_random(size_t n, uint64_t seed) {
  std::vector<uint8_t> out(n);
  uint64_t x = seed;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(out.data() + i, &x, 8);
  }
  return out;
}

/// The first capture group of re in text, or "".
inline std::string match(const std::string& text, const std::string& re) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex{re}))
    return m[1];
  return {};
}

inline bool have_curl() {
  return run({"curl", "--version"}, std::chrono::seconds(10)).code == 0;
}

} // namespace skywire::test
