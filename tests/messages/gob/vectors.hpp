// Test helper shared by the gob, yamux and dmsg_objects suites: loads a JSON
// vector file from SKYWIRE_VECTORS_DIR and converts hex fields.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include "tests/support/build_paths.hpp"

namespace skywire::test {

inline boost::json::value load_vectors(const std::string& rel) {
  std::ifstream in(std::string(SKYWIRE_VECTORS_DIR) + "/" + rel);
  if (!in)
    throw std::runtime_error("cannot open vectors " + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return boost::json::parse(ss.str());
}

inline std::vector<uint8_t> unhex(std::string_view s) {
  if (s.size() % 2 != 0)
    throw std::runtime_error("odd hex");
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("bad hex digit");
  };
  std::vector<uint8_t> out(s.size() / 2);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(nib(s[2 * i]) * 16 + nib(s[2 * i + 1]));
  return out;
}

inline std::vector<uint8_t> unhexv(const boost::json::value& v) {
  return unhex(std::string_view{v.as_string()});
}

inline std::string hex(const std::vector<uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (auto x : b) {
    out += d[x >> 4];
    out += d[x & 15];
  }
  return out;
}

inline std::string str(const boost::json::value& v) {
  return std::string{v.as_string()};
}

} // namespace skywire::test
